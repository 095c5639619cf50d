"""Plain-PyTorch models for hemoseg's PyTorch baselines (bench/epoch_torch.py).

- MaeViT: a masked auto-encoder laid out as facebookresearch/mae's models_mae.py (timm-style
  blocks: one qkv Linear, F.scaled_dot_product_attention, GELU MLP), sized by an HF ViTMAE config.
- PlainViT: the same blocks as a ViT encoder returning hidden states (for UNETR).
- UNETR2d: MONAI's UNETR layout (UnetrBasicBlock, UnetrPrUpBlock, UnetrUpBlock, UnetOutBlock),
  2-D, on an HF ViTModel or a PlainViT encoder.
- BasicUNet2d: MONAI's BasicUNet layout (features 32, 32, 64, 128, 256, 32), 2-D.
MONAI itself is not installable here; these follow its module structure and defaults.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads, qkv_bias=True):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


def sincos_2d(dim, grid):
    """MAE's fixed 2-D sin-cos position embedding with a zero CLS row: (1, 1 + grid^2, dim)."""
    def one(d, pos):
        omega = 1.0 / 10000 ** (torch.arange(d // 2, dtype=torch.float64) / (d / 2.0))
        out = pos.reshape(-1, 1).double() * omega
        return torch.cat([out.sin(), out.cos()], 1)
    g = torch.arange(grid, dtype=torch.float64)
    gw, gh = torch.meshgrid(g, g, indexing="xy")
    emb = torch.cat([one(dim // 2, gh), one(dim // 2, gw)], 1)
    return torch.cat([torch.zeros(1, dim, dtype=torch.float64), emb], 0).float().unsqueeze(0)


class MaeViT(nn.Module):
    def __init__(self, c):
        super().__init__()
        p, d, dd = c["patch_size"], c["hidden_size"], c["decoder_hidden_size"]
        eps = c.get("layer_norm_eps", 1e-6)
        self.p, self.ch, self.mask_ratio, self.norm_pix = p, c["num_channels"], c["mask_ratio"], c["norm_pix_loss"]
        grid = c["image_size"] // p
        self.patch_embed = nn.Conv2d(self.ch, d, p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.register_buffer("pos_embed", sincos_2d(d, grid))
        self.blocks = nn.ModuleList(
            [Block(d, c["num_attention_heads"], c["intermediate_size"], eps) for _ in range(c["num_hidden_layers"])]
        )
        self.norm = nn.LayerNorm(d, eps=eps)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        self.register_buffer("decoder_pos_embed", sincos_2d(dd, grid))
        self.decoder_blocks = nn.ModuleList(
            [
                Block(dd, c["decoder_num_attention_heads"], c["decoder_intermediate_size"], eps)
                for _ in range(c["decoder_num_hidden_layers"])
            ]
        )
        self.decoder_norm = nn.LayerNorm(dd, eps=eps)
        self.decoder_pred = nn.Linear(dd, p * p * self.ch)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)

    def patchify(self, x):
        b, c, h, _ = x.shape
        g, p = h // self.p, self.p
        return x.reshape(b, c, g, p, g, p).permute(0, 2, 4, 3, 5, 1).reshape(b, g * g, p * p * c)

    def forward(self, imgs):
        x = self.patch_embed(imgs).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:]
        b, l, d = x.shape
        keep = int(l * (1 - self.mask_ratio))
        ids_shuffle = torch.rand(b, l).argsort(1)
        ids_restore = ids_shuffle.argsort(1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep, None].expand(-1, -1, d))
        mask = torch.ones(b, l)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, x], 1)
        for blk in self.blocks:
            x = blk(x)
        x = self.decoder_embed(self.norm(x))
        dd = x.shape[2]
        y = torch.cat([x[:, 1:], self.mask_token.expand(b, l + 1 - x.shape[1], -1)], 1)
        y = torch.gather(y, 1, ids_restore[:, :, None].expand(-1, -1, dd))
        x = torch.cat([x[:, :1], y], 1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:]
        target = self.patchify(imgs)
        if self.norm_pix:
            mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
            target = (target - mean) / (var + 1e-6) ** 0.5
        loss = (pred - target).pow(2).mean(-1)
        return (loss * mask).sum() / mask.sum()


class PlainViT(nn.Module):
    """ViT encoder from the MAE blocks: returns (last hidden state after norm, hidden states)."""

    def __init__(self, c):
        super().__init__()
        p, d = c["patch_size"], c["hidden_size"]
        eps = c.get("layer_norm_eps", 1e-6)
        grid = c["image_size"] // p
        self.patch_embed = nn.Conv2d(c["num_channels"], d, p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + grid * grid, d) * 0.02)
        self.blocks = nn.ModuleList(
            [Block(d, c["num_attention_heads"], c["intermediate_size"], eps) for _ in range(c["num_hidden_layers"])]
        )
        self.norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        hidden = [x]
        for blk in self.blocks:
            x = blk(x)
            hidden.append(x)
        return self.norm(x), hidden


class HFViT(nn.Module):
    def __init__(self, c):
        super().__init__()
        from transformers import ViTConfig, ViTModel

        self.vit = ViTModel._from_config(ViTConfig(**c), attn_implementation="sdpa", add_pooling_layer=False)

    def forward(self, x):
        out = self.vit(pixel_values=x, output_hidden_states=True)
        return out.last_hidden_state, out.hidden_states


def conv(cin, cout, k, stride=1, transposed=False, bias=False):
    pad = (k - stride + 1) // 2
    if transposed:
        return nn.ConvTranspose2d(cin, cout, k, stride, pad, output_padding=2 * pad + stride - k, bias=bias)
    return nn.Conv2d(cin, cout, k, stride, pad, bias=bias)


class UnetResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1, self.conv2 = conv(cin, cout, 3), conv(cout, cout, 3)
        self.norm1, self.norm2 = nn.InstanceNorm2d(cout), nn.InstanceNorm2d(cout)
        self.lrelu = nn.LeakyReLU(0.01)
        self.down = cin != cout
        if self.down:
            self.conv3, self.norm3 = conv(cin, cout, 1), nn.InstanceNorm2d(cout)

    def forward(self, x):
        h = self.lrelu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(h))
        res = self.norm3(self.conv3(x)) if self.down else x
        return self.lrelu(out + res)


class PrUp(nn.Module):
    def __init__(self, cin, cout, n):
        super().__init__()
        self.init = conv(cin, cout, 2, 2, transposed=True)
        self.blocks = nn.ModuleList(
            [nn.Sequential(conv(cout, cout, 2, 2, transposed=True), UnetResBlock(cout, cout)) for _ in range(n)]
        )

    def forward(self, x):
        x = self.init(x)
        for b in self.blocks:
            x = b(x)
        return x


class UpBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = conv(cin, cout, 2, 2, transposed=True)
        self.block = UnetResBlock(2 * cout, cout)

    def forward(self, x, skip):
        return self.block(torch.cat([self.up(x), skip], 1))


class UNETR2d(nn.Module):
    def __init__(self, vit_cfg, classes, fs, encoder="hf"):
        super().__init__()
        p, d, layers = vit_cfg["patch_size"], vit_cfg["hidden_size"], vit_cfg["num_hidden_layers"]
        self.p, self.n = p, int(math.log2(p))
        self.skips = [layers * j // self.n + 1 for j in range(1, self.n)]
        self.vit = HFViT(vit_cfg) if encoder == "hf" else PlainViT(vit_cfg)
        self.encoder1 = UnetResBlock(vit_cfg["num_channels"], fs)
        self.prups = nn.ModuleList([PrUp(d, fs * 2**j, self.n - j - 1) for j in range(1, self.n)])
        self.decoders = nn.ModuleList(
            [UpBlock(d if j == self.n - 1 else fs * 2 ** (j + 1), fs * 2**j) for j in range(self.n - 1, -1, -1)]
        )
        self.out = nn.Conv2d(fs, classes, 1)

    def forward(self, x):
        b, _, h, w = x.shape
        last, hidden = self.vit(x)

        def grid(t):
            return t[:, 1:].reshape(b, h // self.p, w // self.p, t.shape[2]).permute(0, 3, 1, 2)

        skips = [self.encoder1(x)] + [pr(grid(hidden[k])) for pr, k in zip(self.prups, self.skips)]
        y = grid(last)
        for i, dec in enumerate(self.decoders):
            y = dec(y, skips[self.n - 1 - i])
        return self.out(y)


class TwoConv(nn.Sequential):
    def __init__(self, cin, cout):
        layers = []
        for a, b in ((cin, cout), (cout, cout)):
            layers += [nn.Conv2d(a, b, 3, padding=1), nn.InstanceNorm2d(b, affine=True), nn.LeakyReLU(0.1)]
        super().__init__(*layers)


class UpCat(nn.Module):
    def __init__(self, cin, ccat, cout, halves=True):
        super().__init__()
        up = cin // 2 if halves else cin
        self.up = nn.ConvTranspose2d(cin, up, 2, stride=2)
        self.convs = TwoConv(ccat + up, cout)

    def forward(self, x, skip):
        return self.convs(torch.cat([skip, self.up(x)], 1))


class BasicUNet2d(nn.Module):
    def __init__(self, cin, classes, f=(32, 32, 64, 128, 256, 32)):
        super().__init__()
        self.conv_0 = TwoConv(cin, f[0])
        self.downs = nn.ModuleList([TwoConv(f[i - 1], f[i]) for i in range(1, 5)])
        self.ups = nn.ModuleList(
            [UpCat(f[4], f[3], f[3]), UpCat(f[3], f[2], f[2]), UpCat(f[2], f[1], f[1]), UpCat(f[1], f[0], f[5], False)]
        )
        self.final_conv = nn.Conv2d(f[5], classes, 1)

    def forward(self, x):
        skips = [self.conv_0(x)]
        for d in self.downs:
            skips.append(d(F.max_pool2d(skips[-1], 2)))
        u = skips[4]
        for i, up in enumerate(self.ups):
            u = up(u, skips[3 - i])
        return self.final_conv(u)
