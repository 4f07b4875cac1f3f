import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** One binary msgpack frame. */
export function encode(msg: unknown): Buffer {
  return packr.pack(msg);
}

/** Decodes a frame; returns unknown (the protocol module validates it) or throws on bad msgpack. */
export function decode(frame: Buffer | ArrayBuffer | Buffer[]): unknown {
  const buf = Buffer.isBuffer(frame) ? frame : Array.isArray(frame) ? Buffer.concat(frame) : Buffer.from(frame);
  if (buf.length === 0) throw new Error('empty frame');
  return packr.unpack(buf);
}
