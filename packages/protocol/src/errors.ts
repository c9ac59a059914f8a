/**
 * A message that does not conform to the protocol. `path` names the field
 * (e.g. `measurement.layers[0].stepNorm.mean[3]`, or `line 12` for a JSONL
 * line that is not JSON) and `problem` says what is wrong with it, so a server
 * can send both back to the publisher in an error frame.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}
