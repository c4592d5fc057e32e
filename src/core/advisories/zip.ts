// Lazy zip reading: OSV dumps hold hundreds of thousands of small files, so members are inflated one
// at a time (fflate's inflateSync) from the central directory instead of unzipSync's all-at-once map.
import { inflateSync } from 'fflate';

export interface ZipMember {
  readonly name: string;
  /** inflates this member; throws on an unsupported method or corrupt data */
  read(): Uint8Array;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export const isZip = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);

/** Members of a zip archive in central-directory order. Throws Error when the archive itself is unreadable. */
export function* zipMembers(bytes: Uint8Array): Generator<ZipMember> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number) => Number(view.getBigUint64(o, true));

  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
    if (u32(o) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive: no end of central directory record');
  let cdOffset = u32(eocd + 16);
  let cdSize = u32(eocd + 12);
  const locator = eocd - 20;
  if (locator >= 0 && u32(locator) === ZIP64_LOCATOR) {
    const z = u64(locator + 8);
    if (z + 56 <= bytes.length && u32(z) === ZIP64_EOCD) {
      cdSize = u64(z + 40);
      cdOffset = u64(z + 48);
    }
  }
  const decoder = new TextDecoder('utf-8');
  // the entry count in the EOCD wraps at 65535 in writers without zip64: walk by signature instead
  let o = cdOffset;
  const end = Math.min(cdOffset + cdSize, bytes.length);
  while (o + 46 <= end && u32(o) === CENTRAL) {
    const method = u16(o + 10);
    let compressedSize = u32(o + 20);
    let size = u32(o + 24);
    const nameLength = u16(o + 28);
    const extraLength = u16(o + 30);
    const commentLength = u16(o + 32);
    let localOffset = u32(o + 42);
    const name = decoder.decode(bytes.subarray(o + 46, o + 46 + nameLength));
    // zip64 extended information: the 0xFFFFFFFF fields, in order
    let e = o + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 1) {
        let p = e + 4;
        if (size === 0xffffffff) {
          size = u64(p);
          p += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(p);
          p += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(p);
      }
      e += 4 + len;
    }
    o = extraEnd + commentLength;
    if (name.endsWith('/')) continue;
    const at = localOffset;
    const stored = compressedSize;
    const expected = size;
    yield {
      name,
      read(): Uint8Array {
        if (at + 30 > bytes.length || u32(at) !== LOCAL) throw new Error('corrupt zip: no local header');
        const start = at + 30 + u16(at + 26) + u16(at + 28);
        const data = bytes.subarray(start, start + stored);
        if (method === 0) return data;
        if (method !== 8) throw new Error(`unsupported zip compression method ${method}`);
        return inflateSync(data, { out: new Uint8Array(expected) });
      },
    };
  }
}
