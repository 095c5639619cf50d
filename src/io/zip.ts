// ZIP archives (PKWARE APPNOTE 6.3), as far as .npz needs them: stored and deflated members,
// zip64 sizes and offsets, read through the central directory; single-disk archives only.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { writeAll, writeAtomic } from "./atomic.js";
import { checkAllocation } from "./limits.js";

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Absolute byte offset of the member's (compressed) data in the archive. */
  dataOffset: number;
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const DOS_DATE_1980 = 0x21; // 1980-01-01: fixed so equal inputs give equal archives

function readBytes(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const r = readSync(fd, b, done, len - done, pos + done);
    if (r === 0) break;
    done += r;
  }
  return done === len ? b : b.subarray(0, done);
}

const u64 = (b: Buffer, p: number): number => Number(b.readBigUInt64LE(p));

/** Lists the members of a zip archive from its central directory; every problem names the file. */
export function listZip(path: string): ZipEntry[] {
  const fail = (why: string): never => {
    throw new Error(`${path}: not a valid zip archive: ${why}`);
  };
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 22) fail(`${size} bytes is shorter than the end-of-central-directory record (truncated?)`);
    const tailStart = Math.max(0, size - 22 - U16_MAX);
    const tail = readBytes(fd, tailStart, size - tailStart);
    let end = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_END && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
        end = i;
        break;
      }
    }
    if (end < 0) fail("no end-of-central-directory record (truncated or not a zip)");
    let count = tail.readUInt16LE(end + 10);
    let cdSize = tail.readUInt32LE(end + 12);
    let cdOffset = tail.readUInt32LE(end + 16);
    if (tail.readUInt16LE(end + 4) !== 0 || tail.readUInt16LE(end + 6) !== 0)
      fail("multi-disk archives are not supported");
    const endPos = tailStart + end;
    if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const loc = endPos >= 20 ? readBytes(fd, endPos - 20, 20) : Buffer.alloc(0);
      if (loc.length !== 20 || loc.readUInt32LE(0) !== SIG_LOCATOR64) fail("zip64 locator missing");
      const rec = readBytes(fd, u64(loc, 8), 56);
      if (rec.length !== 56 || rec.readUInt32LE(0) !== SIG_END64) fail("zip64 end record missing");
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
    if (cdOffset + cdSize > size)
      fail(`central directory runs past the end of the ${size}-byte file (truncated?)`);
    const cd = readBytes(fd, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
        fail(`central directory entry ${k} is corrupt`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString(flags & 0x800 ? "utf8" : "latin1", p + 46, p + 46 + nameLen);
      // zip64 extended information: 64-bit values for exactly the fields saturated above, in order
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = cd.readUInt16LE(x);
        const len = cd.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let q = x + 4;
          if (uncompressed === U32_MAX) {
            uncompressed = u64(cd, q);
            q += 8;
          }
          if (compressedSize === U32_MAX) {
            compressedSize = u64(cd, q);
            q += 8;
          }
          if (local === U32_MAX) local = u64(cd, q);
        }
        x += 4 + len;
      }
      p = xEnd + commentLen;
      if (flags & 1) fail(`member '${name}' is encrypted`);
      const lh = readBytes(fd, local, 30);
      if (lh.length !== 30 || lh.readUInt32LE(0) !== SIG_LOCAL)
        fail(`member '${name}' has no local header (truncated?)`);
      const dataOffset = local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
      if (dataOffset + compressedSize > size)
        fail(`member '${name}' runs past the end of the file (truncated?)`);
      entries.push({ name, method, crc32: crc, compressedSize, size: uncompressed, dataOffset });
    }
    return entries;
  } catch (e) {
    // a field pointing outside its record: corrupt rather than a bug
    if (e instanceof RangeError) fail(`corrupt directory record (${e.message})`);
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** A member's bytes, inflated and checked against its CRC-32. */
export function readZipEntry(path: string, e: ZipEntry): Buffer {
  const fail = (why: string): never => {
    throw new Error(`${path}: member '${e.name}' ${why}`);
  };
  if (e.method !== 0 && e.method !== 8) fail(`uses compression method ${e.method} (only stored and deflate)`);
  // the directory's size is checked before anything is read or inflated (decompression bombs)
  checkAllocation(`${path}: member '${e.name}'`, `${e.size} bytes of data`, e.size + e.compressedSize);
  const fd = openSync(path, "r");
  let raw: Buffer;
  try {
    raw = readBytes(fd, e.dataOffset, e.compressedSize);
  } finally {
    closeSync(fd);
  }
  if (raw.length !== e.compressedSize) fail("is truncated");
  let data = raw;
  if (e.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        return fail(`inflates to more than the ${e.size} bytes the directory says`);
      return fail(`does not inflate (${(err as Error).message})`);
    }
  }
  if (data.length !== e.size) fail(`holds ${data.length} bytes, the directory says ${e.size}`);
  if (crc32(data) >>> 0 !== e.crc32) fail("is corrupt (CRC-32 mismatch)");
  return data;
}

/** zip64 extra field carrying the given 64-bit values. */
function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => {
    b.writeBigUInt64LE(BigInt(v), 4 + 8 * i);
  });
  return b;
}

/** Writes an archive atomically; members are deflated when compress is set, stored otherwise. */
export function writeZip(path: string, members: ZipMember[], opts: { compress?: boolean } = {}): void {
  writeAtomic(path, (fd) => {
    let pos = 0;
    const put = (b: Uint8Array): void => {
      writeAll(fd, b);
      pos += b.length;
    };
    const central: Buffer[] = [];
    for (const m of members) {
      const name = Buffer.from(m.name, "utf8");
      const flags = /^[\x20-\x7e]*$/.test(m.name) ? 0 : 0x800;
      const crc = crc32(m.data) >>> 0;
      const body = opts.compress ? deflateRawSync(m.data) : m.data;
      const method = opts.compress ? 8 : 0;
      const big = m.data.length >= U32_MAX || body.length >= U32_MAX;
      const offset = pos;
      const version = big || offset >= U32_MAX ? 45 : 20;

      const localExtra = big ? zip64Extra([m.data.length, body.length]) : Buffer.alloc(0);
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(SIG_LOCAL, 0);
      lh.writeUInt16LE(version, 4);
      lh.writeUInt16LE(flags, 6);
      lh.writeUInt16LE(method, 8);
      lh.writeUInt16LE(DOS_DATE_1980, 12);
      lh.writeUInt32LE(crc, 14);
      lh.writeUInt32LE(big ? U32_MAX : body.length, 18);
      lh.writeUInt32LE(big ? U32_MAX : m.data.length, 22);
      lh.writeUInt16LE(name.length, 26);
      lh.writeUInt16LE(localExtra.length, 28);
      put(lh);
      put(name);
      put(localExtra);
      put(body);

      const wide = [big ? m.data.length : -1, big ? body.length : -1, offset >= U32_MAX ? offset : -1];
      const centralExtra = wide.some((v) => v >= 0)
        ? zip64Extra(wide.filter((v) => v >= 0))
        : Buffer.alloc(0);
      const ch = Buffer.alloc(46);
      ch.writeUInt32LE(SIG_CENTRAL, 0);
      ch.writeUInt16LE(version, 4);
      ch.writeUInt16LE(version, 6);
      ch.writeUInt16LE(flags, 8);
      ch.writeUInt16LE(method, 10);
      ch.writeUInt16LE(DOS_DATE_1980, 14);
      ch.writeUInt32LE(crc, 16);
      ch.writeUInt32LE(big ? U32_MAX : body.length, 20);
      ch.writeUInt32LE(big ? U32_MAX : m.data.length, 24);
      ch.writeUInt16LE(name.length, 28);
      ch.writeUInt16LE(centralExtra.length, 30);
      ch.writeUInt32LE(0o100644 * 65536, 38); // external attributes: a regular file, rw-r--r--
      ch.writeUInt32LE(Math.min(offset, U32_MAX), 42);
      central.push(ch, name, centralExtra);
    }
    const cdOffset = pos;
    for (const b of central) put(b);
    const cdSize = pos - cdOffset;
    const n = members.length;
    const needs64 = n >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX;
    if (needs64) {
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(SIG_END64, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(n), 24);
      rec.writeBigUInt64LE(BigInt(n), 32);
      rec.writeBigUInt64LE(BigInt(cdSize), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(SIG_LOCATOR64, 0);
      loc.writeBigUInt64LE(BigInt(pos), 8);
      loc.writeUInt32LE(1, 16);
      put(rec);
      put(loc);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(SIG_END, 0);
    end.writeUInt16LE(Math.min(n, U16_MAX), 8);
    end.writeUInt16LE(Math.min(n, U16_MAX), 10);
    end.writeUInt32LE(needs64 ? U32_MAX : cdSize, 12);
    end.writeUInt32LE(needs64 ? U32_MAX : cdOffset, 16);
    put(end);
  });
}
