"""Makes the small reference files the src/io tests decode (numpy, Pillow, tifffile, libtiff's tiffcp).

Run from the repository root: python3 test/data/io/make_fixtures.py  (Debian: python3-numpy
python3-pil python3-tifffile libtiff-tools). Pixel values follow the formulas below, which
test/io/*.test.ts recompute, so no expected-value files are needed.
"""
import os
import struct
import subprocess
import zlib

import numpy as np
import tifffile
from PIL import Image

OUT = os.path.dirname(os.path.abspath(__file__))
p = lambda name: os.path.join(OUT, name)


def grid(c, h, w):
    return np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")


def u8(c, h, w):
    C, Y, X = grid(c, h, w)
    return ((C * 37 + Y * 11 + X * 3) % 256).astype(np.uint8)


def u16(c, h, w):
    C, Y, X = grid(c, h, w)
    return ((C * 9001 + Y * 257 + X * 131 + 32000) % 65536).astype(np.uint16)


def f32(c, h, w):
    C, Y, X = grid(c, h, w)
    return (C * 100 + Y - X * 0.5 + 0.25).astype(np.float32)


def rnd(c, h, w):
    """Pseudo-random 16-bit values that compress badly (forces LZW table resets)."""
    C, Y, X = [a.astype(np.uint64) for a in grid(c, h, w)]
    k = ((C * 73856093) ^ (Y * 19349663) ^ (X * 83492791)) & 0xFFFFFFFF
    return (((k * 2654435761) & 0xFFFFFFFF) >> 16).astype(np.uint16)


# ---- npy / npz ---------------------------------------------------------------
np.save(p("n_f4.npy"), f32(2, 3, 4))
np.save(p("n_f8.npy"), np.array([1.5, -2.25, 1e300, -0.0, 3.0]))
np.save(p("n_f2.npy"), np.array([[0.5, -1.0, 65504.0], [1e-3, 2.0, -3.5]], dtype=np.float16))
np.save(p("n_i8.npy"), np.array([-(2**40), 2**53 - 1, 7], dtype=np.int64))
np.save(p("n_i4.npy"), np.array([-(2**31), 2**31 - 1, 5], dtype=np.int32))
np.save(p("n_i2.npy"), np.array([-32768, 32767, -2], dtype=np.int16))
np.save(p("n_i1.npy"), np.array([-128, 127, -1], dtype=np.int8))
np.save(p("n_u1.npy"), u8(1, 5, 7)[0])
np.save(p("n_b1.npy"), np.array([True, False, True, True]))
np.save(p("n_u2.npy"), u16(1, 5, 7)[0])
np.save(p("n_u4.npy"), np.array([0, 2**31, 2**32 - 1], dtype=np.uint32))
np.save(p("n_0d.npy"), np.float64(3.5))
np.save(p("n_empty.npy"), np.zeros((0, 3), np.float32))
np.save(p("n_be.npy"), np.arange(4, dtype=">f4"))
np.save(p("n_fortran.npy"), np.asfortranarray(f32(1, 3, 4)[0]))
for ver in (2, 3):
    with open(p(f"n_v{ver}.npy"), "wb") as f:
        np.lib.format.write_array(f, u16(2, 3, 4).astype(np.int32), version=(ver, 0))
np.savez(p("z_stored.npz"), image=u16(3, 5, 7), mask=u8(1, 5, 7)[0] % 4)
np.savez_compressed(p("z_deflated.npz"), image=u16(3, 5, 7), mask=u8(1, 5, 7)[0] % 4)
np.savez(p("z_arr0.npz"), f32(1, 5, 7)[0])

# ---- TIFF --------------------------------------------------------------------
tifffile.imwrite(p("t_u8.tif"), u8(3, 5, 7), photometric="minisblack")
tifffile.imwrite(p("t_u16_be.tif"), u16(2, 5, 7), photometric="minisblack", byteorder=">")
tifffile.imwrite(p("t_f32.tif"), f32(2, 5, 7), photometric="minisblack")
tifffile.imwrite(p("t_u32.tif"), (4000000000 + u8(1, 5, 7).astype(np.uint32) * 1000), photometric="minisblack")
tifffile.imwrite(p("t_i16.tif"), (u16(2, 5, 7).astype(np.int32) - 32768).astype(np.int16), photometric="minisblack")
tifffile.imwrite(p("t_rgb_chunky.tif"), np.moveaxis(u8(3, 5, 7), 0, -1), photometric="rgb")
tifffile.imwrite(p("t_rgb_planar.tif"), u16(3, 5, 7), photometric="rgb", planarconfig="separate")
tifffile.imwrite(p("t_tiled.tif"), u16(2, 20, 36), photometric="minisblack", tile=(16, 16))
tifffile.imwrite(p("t_rnd.tif"), rnd(2, 64, 64), photometric="minisblack")
tifffile.imwrite(p("t_rnd8.tif"), (rnd(1, 64, 64) & 0xFF).astype(np.uint8), photometric="minisblack")


def tiffcp(src, dst, *opts):
    subprocess.run(["tiffcp", *opts, p(src), p(dst)], check=True)


tiffcp("t_rnd.tif", "t_lzw_pred.tif", "-c", "lzw:2", "-r", "16")
tiffcp("t_rnd.tif", "t_lzw_pred_be.tif", "-c", "lzw:2", "-B")
tiffcp("t_rnd8.tif", "t_lzw.tif", "-c", "lzw")
tiffcp("t_u8.tif", "t_packbits.tif", "-c", "packbits")
tiffcp("t_rgb_chunky.tif", "t_rgb_lzw.tif", "-c", "lzw:2")
tiffcp("t_u16_be.tif", "t_zip_pred.tif", "-c", "zip:2", "-r", "2")
tiffcp("t_f32.tif", "t_zip_fpred.tif", "-c", "zip:3")
# (no big-endian floating-point-predictor file: libtiff 4.5's tiffcp -B writes one it cannot read back)
tiffcp("t_u8.tif", "t_bigtiff.tif", "-8")
tiffcp("t_tiled.tif", "t_tiled_lzw_be.tif", "-c", "lzw:2", "-B")
for f in ("t_rnd.tif", "t_rnd8.tif"):
    os.remove(p(f))  # only their compressed copies are kept

# ---- PNG ---------------------------------------------------------------------
img8 = np.moveaxis(u8(4, 5, 7), 0, -1)  # (H, W, 4)
Image.fromarray(img8[..., 0], "L").save(p("p_grey.png"))
Image.fromarray(img8[..., :3], "RGB").save(p("p_rgb.png"))
Image.fromarray(img8, "RGBA").save(p("p_rgba.png"))
Image.fromarray(img8[..., :2], "LA").save(p("p_la.png"))
pal = Image.fromarray(img8[..., 0] % 4, "P")
pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
pal.save(p("p_pal.png"))
pal.save(p("p_pal4.png"), bits=4)
Image.fromarray((img8[..., 0] % 2).astype(bool)).save(p("p_1bit.png"))
Image.fromarray(u16(1, 5, 7)[0].astype(np.uint16)).save(p("p_grey16.png"))


def write_png(name, arr, color_type, bits, interlace):
    """A hand-rolled encoder: cycles through all five filters row by row, optionally Adam7."""
    h, w = arr.shape[:2]
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    arr = arr.reshape(h, w, ch)

    def pack(sub):
        rows = []
        for row in sub:
            if bits == 16:
                rows.append(row.astype(">u2").tobytes())
            elif bits == 8:
                rows.append(row.astype(np.uint8).tobytes())
            else:
                v = row.reshape(-1)
                bitstr = "".join(format(int(x), f"0{bits}b") for x in v)
                bitstr += "0" * (-len(bitstr) % 8)
                rows.append(bytes(int(bitstr[i : i + 8], 2) for i in range(0, len(bitstr), 8)))
        return rows

    def filt(rows, bpp):
        out = b""
        prev = bytes(len(rows[0]))
        for i, r in enumerate(rows):
            ft = i % 5
            line = bytearray()
            for j, x in enumerate(r):
                a = r[j - bpp] if j >= bpp else 0
                b = prev[j]
                c = prev[j - bpp] if j >= bpp else 0
                if ft == 0:
                    pr = 0
                elif ft == 1:
                    pr = a
                elif ft == 2:
                    pr = b
                elif ft == 3:
                    pr = (a + b) // 2
                else:
                    pp = a + b - c
                    pa, pb, pc = abs(pp - a), abs(pp - b), abs(pp - c)
                    pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line.append((x - pr) & 0xFF)
            out += bytes([ft]) + bytes(line)
            prev = r
        return out

    bpp = max(1, ch * bits // 8)
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes if interlace else [(0, 0, 1, 1)]:
        sub = arr[y0::dy, x0::dx]
        if sub.shape[0] and sub.shape[1]:
            raw += filt(pack(sub), bpp)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))

    ihdr = struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(p(name), "wb").write(data)
    # Pillow must agree with what was meant (it reads 16-bit RGB as 8-bit, and scales low-depth grey)
    back = np.asarray(Image.open(p(name))).astype(np.int64)
    want = arr.reshape(back.shape).astype(np.int64)
    want = want >> 8 if bits == 16 and ch == 3 else want * (255 // (2**bits - 1)) if bits < 8 else want
    assert (back == want).all(), name


rgb16 = np.moveaxis(u16(3, 13, 11), 0, -1)
write_png("p_adam7_rgb16.png", rgb16, 2, 16, True)
write_png("p_adam7_grey.png", u8(1, 5, 7)[0], 0, 8, True)
write_png("p_grey2.png", u8(1, 5, 7)[0] % 4, 0, 2, False)
write_png("p_filters_rgba.png", np.moveaxis(u8(4, 9, 10), 0, -1), 6, 8, False)
print("wrote", len(os.listdir(OUT)) - 1, "files to", OUT)
