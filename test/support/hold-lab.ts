// A process that builds a lab, starts a listener, prints the namespace names and waits to be
// killed: used to prove the lab cleans up after an interrupted or killed run.
import { Lab } from '../lab/lab';

const lab = await Lab.create({ links: 1 });
await lab.listen([{ protocol: 'tcp', address: '0.0.0.0', port: 7000 }]);
console.log(JSON.stringify({ host: lab.hostNs, outside: lab.outsideNs }));
setInterval(() => undefined, 1000);
