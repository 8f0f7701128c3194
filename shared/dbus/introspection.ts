// Introspection XML for org.palisade.Firewall1, generated from the contract so tools like
// busctl and d-feet show exactly what the helper serves.
import { INTERFACE_NAME, METHODS, PROPERTIES, SIGNALS } from './contract';

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STANDARD_INTERFACES = `  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg name="interface" type="s" direction="in"/><arg name="property" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
    <method name="GetAll"><arg name="interface" type="s" direction="in"/><arg name="properties" type="a{sv}" direction="out"/></method>
    <method name="Set"><arg name="interface" type="s" direction="in"/><arg name="property" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
    <signal name="PropertiesChanged"><arg name="interface" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal>
  </interface>
`;

export function introspectionXml(): string {
  const methods = Object.entries(METHODS).map(([name, m]) =>
    `    <method name="${name}">\n      <annotation name="org.palisade.Doc" value="${escapeXml(m.doc)}"/>\n      <annotation name="org.palisade.PolkitAction" value="org.palisade.firewall.${m.access}"/>\n      <arg name="args_json" type="s" direction="in"/>\n      <arg name="result_json" type="s" direction="out"/>\n    </method>`);
  const signals = Object.keys(SIGNALS).map((name) => `    <signal name="${name}"><arg name="payload_json" type="s"/></signal>`);
  const props = Object.entries(PROPERTIES).map(([name, p]) => `    <property name="${name}" type="${p.signature}" access="read"/>`);
  return `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
${STANDARD_INTERFACES}  <interface name="${INTERFACE_NAME}">
${[...methods, ...signals, ...props].join('\n')}
  </interface>
</node>
`;
}

/** Introspection of a path above the object, so the tree can be walked from "/". */
export function parentNodeXml(child: string): string {
  return `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <node name="${child}"/>
</node>
`;
}
