// Loads the libtorch addon on first use and checks that the libtorch it was built against is still there.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { NativeOps } from "./ops.js";

export type { Handle, NativeOps } from "./ops.js";

export interface NativeInfo {
  libtorch: string;
  version: string;
  cuda: boolean;
  cxx11abi: number;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error("hemoseg: cannot find the package root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): { ops: NativeOps; info: NativeInfo } {
  // HEMOSEG_NATIVE_DIR: another build directory (scripts/build-cuda-check.sh builds one).
  const build = process.env.HEMOSEG_NATIVE_DIR || join(packageRoot(), "build");
  const addon = join(build, "Release", "hemoseg_native.node");
  const infoPath = join(build, "native-info.json");
  if (!existsSync(addon) || !existsSync(infoPath)) {
    throw new Error(`hemoseg: the native addon is not built (${addon}); run scripts/setup.sh`);
  }
  const info = JSON.parse(readFileSync(infoPath, "utf8")) as NativeInfo;
  if (!existsSync(join(info.libtorch, "lib", "libtorch_cpu.so"))) {
    throw new Error(
      `hemoseg: the addon was built against libtorch ${info.version} at ${info.libtorch}, which is gone; ` +
        "run scripts/setup.sh to rebuild against the libtorch you have",
    );
  }
  let ops: NativeOps;
  try {
    ops = createRequire(import.meta.url)(addon) as NativeOps;
  } catch (e) {
    // A bad setting the addon reads at load (HEMOSEG_CPU_CACHE_MB) names itself; no rebuild needed.
    if ((e as Error).message.startsWith("HEMOSEG_")) throw new Error(`hemoseg: ${(e as Error).message}`);
    throw new Error(
      `hemoseg: cannot load the addon built against libtorch ${info.version} at ${info.libtorch}: ` +
        `${(e as Error).message}. If libtorch changed, run scripts/setup.sh to rebuild.`,
    );
  }
  if (ops.torchVersion !== info.version) {
    throw new Error(
      `hemoseg: addon reports libtorch ${ops.torchVersion} but build/native-info.json says ${info.version}; ` +
        "run scripts/setup.sh to rebuild",
    );
  }
  return { ops, info };
}

let loaded: { ops: NativeOps; info: NativeInfo } | undefined;
const ensure = () => {
  loaded ??= load();
  return loaded;
};

/**
 * The addon's op table. The addon (and libtorch) load on the first op, not at import, so what
 * never touches a tensor (hemoseg predict --engine onnx, --help) runs without them. The first
 * use rebinds N to the table itself (importers see ES module live bindings), so later calls go
 * straight to it.
 */
export let N: NativeOps = new Proxy({} as NativeOps, {
  get(_, key) {
    N = ensure().ops;
    return Reflect.get(N, key);
  },
  // Listing or testing the table (Object.keys(N), "op" in N) loads it too, rather than seeing {}.
  ownKeys() {
    N = ensure().ops;
    return Reflect.ownKeys(N);
  },
  has: (_, key) => Reflect.has(ensure().ops, key),
  getOwnPropertyDescriptor(_, key) {
    const d = Reflect.getOwnPropertyDescriptor(ensure().ops, key);
    return d && { ...d, configurable: true }; // the target ({}) lacks it, so it must be configurable
  },
});

/** Which libtorch the addon was built against (loads the addon on first read). */
export const nativeInfo: NativeInfo = new Proxy({} as NativeInfo, {
  get: (_, key) => Reflect.get(ensure().info, key),
});

/** Whether the addon has been loaded in this process (for tests of the libtorch-free paths). */
export const nativeLoaded = (): boolean => loaded !== undefined;
