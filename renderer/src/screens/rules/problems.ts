// What can be wrong in an editor field, as codes the screens translate (rules:problem.*), with
// what the message needs: the line or item it is on, the text at fault, the bounds.
export type ProblemCode =
  | 'portMissing' | 'portFormat' | 'portRange' | 'portOrder' | 'profiles' | 'remoteHostBits' | 'remoteInvalid' | 'remoteTooMany' | 'alwaysOpen'
  | 'expiresMissing' | 'expiresFormat' | 'expiresPast' | 'comment'
  | 'knockNone' | 'knockTooMany' | 'knockPort' | 'knockNotAllowed'
  | 'limitNone' | 'limitTooMany' | 'rateCount' | 'ratePeriodFormat' | 'ratePeriodRange' | 'limitNotAllowed'
  | 'durationFormat' | 'durationRange' | 'scanPorts'
  | 'other';

export interface Problem {
  code: ProblemCode;
  /** The line (remote networks) or item (knock, rate), 1-based, the problem is on. */
  line?: number;
  /** The text at fault, as typed. */
  value?: string;
  /** The schema's message, or the text at fault. */
  detail: string;
  /** For a network with host bits set: the network that was probably meant. */
  suggestion?: string;
  /** Bounds of a number. */
  min?: number;
  max?: number;
  /** Bounds of a time, in seconds (shown in words: "1 second", "1 hour"). */
  minSeconds?: number;
  maxSeconds?: number;
}
