// NumPy .npz archives: a zip of .npy members, stored (np.savez) or deflated (np.savez_compressed).
import type { Tensor } from "../torch/index.js";
import { encodeNpy, parseNpy, readNpyAt } from "./npy.js";
import { listZip, readZipEntry, writeZip, type ZipEntry } from "./zip.js";

const arrays = (path: string): Map<string, ZipEntry> =>
  new Map(listZip(path).flatMap((e) => (e.name.endsWith(".npy") ? [[e.name.slice(0, -4), e] as const] : [])));

/** The array names in an .npz (member names without ".npy"), in archive order. */
export function listNpz(path: string): string[] {
  return [...arrays(path).keys()];
}

/**
 * Reads every array (or the named ones) of an .npz. Stored members go straight from the file into
 * their tensors; deflated ones are inflated and CRC-checked first.
 */
export function readNpz(path: string, names?: string[]): Record<string, Tensor> {
  const entries = arrays(path);
  const out: Record<string, Tensor> = {};
  try {
    for (const name of names ?? entries.keys()) {
      const e = entries.get(name);
      if (!e)
        throw new Error(`${path}: no array named '${name}' (it has: ${[...entries.keys()].join(", ")})`);
      const where = `${path}:${e.name}`;
      out[name] =
        e.method === 0
          ? readNpyAt(path, e.dataOffset, e.size, where)
          : parseNpy(readZipEntry(path, e), where);
    }
  } catch (err) {
    for (const t of Object.values(out)) t.dispose();
    throw err;
  }
  return out;
}

/** Writes arrays as an .npz (deflated when compress is set, like np.savez_compressed), atomically. */
export function writeNpz(
  path: string,
  arrays: Record<string, Tensor>,
  opts: { compress?: boolean } = {},
): void {
  const members = Object.entries(arrays).map(([name, t]) => ({ name: `${name}.npy`, data: encodeNpy(t) }));
  writeZip(path, members, opts);
}
