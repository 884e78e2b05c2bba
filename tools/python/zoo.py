"""The benchmark zoo: the architectures people export from PyTorch and
transformers, each in two sizes.

    full   the published architecture at its usual input size (ResNet-18 at
           224x224, BERT with 2 layers of width 128, ...): what `latent bench
           --zoo` measures. Written by make_fixtures.py --full-zoo into a
           cache folder (~/.cache/latent/zoo), never into git.
    small  the same families, layer types, kernel sizes, strides, groups and
           activations at reduced width and input size, so that each export
           stays well under 2 MB: committed under testdata/interop/zoo and
           run by runtime/interop_test.go on every backend and instruction
           set, checked against PyTorch's own outputs.

Every family is a function (size) -> Family. Weights are random (no
downloads); batch-norm statistics, layer-norm affine parameters and
ConvNeXt's layer scales are drawn away from their identity defaults so that
a kernel that ignores one of them is caught.
"""

from dataclasses import dataclass
from typing import Callable, List

import numpy as np

SIZES = ("full", "small")


@dataclass
class Family:
    name: str
    build: Callable  # () -> torch.nn.Module returning a tensor or a tuple
    inputs: List[str]  # graph input names
    outputs: List[str]  # graph output names
    sample: Callable  # (rng, batch) -> list of numpy arrays, one per input
    note: str = ""  # what the family exercises (written to the GENERATOR file)


def _images(c, h, w):
    return lambda rng, n: [rng.standard_normal((n, c, h, w), dtype=np.float32)]


def _sequences(t, f):
    return lambda rng, n: [rng.standard_normal((n, t, f), dtype=np.float32)]


def _signals(c, length):
    return lambda rng, n: [rng.standard_normal((n, c, length), dtype=np.float32)]


def randomise(model, seed):
    """Moves normalisation statistics and scales away from their defaults."""
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(seed)

    def uniform_(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)

    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                uniform_(mod.running_mean, -0.2, 0.2)
                uniform_(mod.running_var, 0.5, 1.5)
                uniform_(mod.weight, 0.5, 1.5)
                uniform_(mod.bias, -0.2, 0.2)
            elif isinstance(mod, nn.LayerNorm) and mod.weight is not None:
                uniform_(mod.weight, 0.5, 1.5)
                if mod.bias is not None:
                    uniform_(mod.bias, -0.2, 0.2)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                uniform_(p, 0.2, 1.0)
    return model


# ------------------------------------------------------------ torchvision


def resnet18(size):
    def build():
        from torchvision.models import resnet18 as tv_resnet18
        from torchvision.models.resnet import BasicBlock
        from torch import nn

        if size == "full":
            return tv_resnet18(weights=None)
        # torchvision's ResNet fixes the widths at 64..512; rebuild its
        # stages with torchvision's own _make_layer at 8..64.
        m = tv_resnet18(weights=None, num_classes=10)
        w = 8
        m.inplanes = w
        m.conv1 = nn.Conv2d(3, w, kernel_size=7, stride=2, padding=3, bias=False)
        m.bn1 = nn.BatchNorm2d(w)
        m.layer1 = m._make_layer(BasicBlock, w, 2)
        m.layer2 = m._make_layer(BasicBlock, 2 * w, 2, stride=2)
        m.layer3 = m._make_layer(BasicBlock, 4 * w, 2, stride=2)
        m.layer4 = m._make_layer(BasicBlock, 8 * w, 2, stride=2)
        m.fc = nn.Linear(8 * w, 10)
        return m

    hw = 224 if size == "full" else 64
    return Family("resnet18", build, ["input"], ["logits"], _images(3, hw, hw),
                  "torchvision resnet18: 7x7/2 stem, MaxPool, BasicBlocks with 1x1/2 downsample, GlobalAveragePool, Gemm")


def mobilenet_v3_small(size):
    def build():
        from torchvision.models import mobilenet_v3_small as tv

        if size == "full":
            return tv(weights=None)
        return tv(weights=None, width_mult=0.25, num_classes=10)

    hw = 224 if size == "full" else 64
    return Family("mobilenet_v3_small", build, ["input"], ["logits"], _images(3, hw, hw),
                  "torchvision mobilenet_v3_small: depthwise 3x3/5x5 stride 1 and 2, HardSwish, squeeze-excitation (HardSigmoid)")


def efficientnet_b0(size):
    def build():
        from torchvision.models import efficientnet_b0 as tv
        from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

        if size == "full":
            return tv(weights=None)
        setting, last = _efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.34)
        return EfficientNet(setting, dropout=0.2, num_classes=10, last_channel=last)

    hw = 224 if size == "full" else 64
    return Family("efficientnet_b0", build, ["input"], ["logits"], _images(3, hw, hw),
                  "torchvision efficientnet_b0: MBConv with depthwise 3x3/5x5, SiLU (Sigmoid*Mul), squeeze-excitation (Sigmoid)")


def convnext_tiny(size):
    def build():
        from torchvision.models import convnext_tiny as tv
        from torchvision.models.convnext import CNBlockConfig, ConvNeXt

        if size == "full":
            return tv(weights=None)
        setting = [CNBlockConfig(16, 32, 1), CNBlockConfig(32, 64, 1), CNBlockConfig(64, 128, 2), CNBlockConfig(128, None, 1)]
        return ConvNeXt(setting, num_classes=10)

    hw = 224 if size == "full" else 64
    return Family("convnext_tiny", build, ["input"], ["logits"], _images(3, hw, hw),
                  "torchvision convnext_tiny: 4x4/4 patchify, depthwise 7x7, LayerNorm over channels (Transpose), GELU (erf), layer scale")


def squeezenet1_1(size):
    def build():
        from torch import nn
        from torchvision.models import squeezenet1_1 as tv
        from torchvision.models.squeezenet import Fire

        if size == "full":
            return tv(weights=None)
        # SqueezeNet fixes its widths; rebuild the 1.1 layout at a quarter.
        m = tv(weights=None, num_classes=10)
        d = 4
        m.features = nn.Sequential(
            nn.Conv2d(3, 64 // d, kernel_size=3, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(64 // d, 16 // d, 64 // d, 64 // d), Fire(128 // d, 16 // d, 64 // d, 64 // d),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(128 // d, 32 // d, 128 // d, 128 // d), Fire(256 // d, 32 // d, 128 // d, 128 // d),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(256 // d, 48 // d, 192 // d, 192 // d), Fire(384 // d, 48 // d, 192 // d, 192 // d),
            Fire(384 // d, 64 // d, 256 // d, 256 // d), Fire(512 // d, 64 // d, 256 // d, 256 // d),
        )
        m.classifier[1] = nn.Conv2d(512 // d, 10, kernel_size=1)
        return m

    hw = 224 if size == "full" else 64
    return Family("squeezenet1_1", build, ["input"], ["logits"], _images(3, hw, hw),
                  "torchvision squeezenet1_1: Fire modules (1x1 squeeze, 1x1 and 3x3 expand, Concat), MaxPool ceil_mode, conv classifier")


# ------------------------------------------------------------ transformers


def vit(size):
    def build():
        import torch
        from transformers import ViTConfig, ViTForImageClassification

        if size == "full":
            cfg = ViTConfig(hidden_size=128, num_hidden_layers=2, num_attention_heads=4, intermediate_size=512,
                            image_size=224, patch_size=16, num_labels=1000)
        else:
            cfg = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                            image_size=32, patch_size=8, num_labels=10)

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.vit = ViTForImageClassification(cfg)

            def forward(self, pixel_values):
                return self.vit(pixel_values=pixel_values).logits

        return Wrapped()

    hw = 224 if size == "full" else 32
    return Family("vit", build, ["pixel_values"], ["logits"], _images(3, hw, hw),
                  "transformers ViTForImageClassification from a ViTConfig (2 layers): patch Conv, LayerNorm, attention (MatMul, Softmax), GELU (erf)")


def bert(size):
    seq = 128 if size == "full" else 16

    def build():
        import torch
        from transformers import BertConfig, BertModel

        if size == "full":
            cfg = BertConfig(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512)
        else:
            cfg = BertConfig(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=64, max_position_embeddings=64)

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = BertModel(cfg)

            def forward(self, input_ids, attention_mask):
                out = self.bert(input_ids=input_ids, attention_mask=attention_mask)
                return out.last_hidden_state, out.pooler_output

        return Wrapped()

    vocab = 30522 if size == "full" else 1000

    def sample(rng, n):
        ids = rng.integers(0, vocab, size=(n, seq), dtype=np.int64)
        mask = np.ones((n, seq), dtype=np.int64)
        mask[:, seq - seq // 4:] = 0  # padded tail: exercises the attention mask
        if n > 1:
            mask[1:, :] = 1
        return [ids, mask]

    return Family("bert", build, ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"], sample,
                  "transformers BertModel from a BertConfig (2 layers): Gather embeddings, LayerNorm, masked attention, GELU (erf), Tanh pooler")


# ------------------------------------------------------------ autoencoders


def _seq_ae(kind, size):
    t, f, h = (64, 32, 128) if size == "full" else (12, 4, 16)

    def build():
        import torch
        from torch import nn

        cell = nn.LSTM if kind == "lstm" else nn.GRU

        class SeqAE(nn.Module):
            """Encoder RNN, its last hidden state repeated over time, decoder RNN, per-step Linear."""

            def __init__(self):
                super().__init__()
                self.encoder = cell(f, h, batch_first=True)
                self.decoder = cell(h, h, batch_first=True)
                self.out = nn.Linear(h, f)

            def forward(self, x):
                _, state = self.encoder(x)
                hn = state[0] if isinstance(state, tuple) else state  # [1, N, H]
                code = hn[-1]
                rep = code.unsqueeze(1).expand(-1, x.shape[1], -1)
                y, _ = self.decoder(rep)
                return self.out(y)

        return SeqAE()

    return Family("%s_ae" % kind, build, ["input"], ["reconstruction"], _sequences(t, f),
                  "%s sequence autoencoder [N,%d,%d], hidden %d: encoder, repeated code, decoder, per-step Linear" % (kind.upper(), t, f, h))


def lstm_ae(size):
    return _seq_ae("lstm", size)


def gru_ae(size):
    return _seq_ae("gru", size)


def conv1d_ae(size):
    c, length, w = (16, 256, 32) if size == "full" else (4, 32, 4)

    def build():
        from torch import nn

        return nn.Sequential(
            nn.Conv1d(c, w, 5, padding=2), nn.GELU(),
            nn.Conv1d(w, 2 * w, 5, stride=2, padding=2), nn.GELU(),
            nn.Conv1d(2 * w, 2 * w, 3, stride=2, padding=1), nn.GELU(),
            nn.ConvTranspose1d(2 * w, 2 * w, 4, stride=2, padding=1), nn.GELU(),
            nn.ConvTranspose1d(2 * w, w, 4, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(w, c, 5, padding=2),
        )

    return Family("conv1d_ae", build, ["input"], ["reconstruction"], _signals(c, length),
                  "Conv1d autoencoder [N,%d,%d]: Conv1d stride 1/2, ConvTranspose1d stride 2, GELU (erf)" % (c, length))


def transformer_ae(size):
    t, f, d, heads, ff = (64, 32, 128, 4, 256) if size == "full" else (12, 4, 16, 2, 32)

    def build():
        import torch
        from torch import nn

        class TransformerAE(nn.Module):
            """Linear embedding plus learned positions, 2 encoder layers, a per-step bottleneck, 1 layer, Linear out."""

            def __init__(self):
                super().__init__()
                self.embed = nn.Linear(f, d)
                self.pos = nn.Parameter(torch.randn(1, t, d) * 0.1)
                layer = lambda: nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, activation="gelu", batch_first=True)
                self.encoder = nn.TransformerEncoder(layer(), 2, enable_nested_tensor=False)
                self.bottleneck = nn.Linear(d, d // 4)
                self.expand = nn.Linear(d // 4, d)
                self.decoder = nn.TransformerEncoder(layer(), 1, enable_nested_tensor=False)
                self.out = nn.Linear(d, f)

            def forward(self, x):
                z = self.bottleneck(self.encoder(self.embed(x) + self.pos))
                return self.out(self.decoder(self.expand(torch.tanh(z))))

        return TransformerAE()

    return Family("transformer_ae", build, ["input"], ["reconstruction"], _sequences(t, f),
                  "Transformer-encoder autoencoder [N,%d,%d], width %d: nn.TransformerEncoderLayer (attention, LayerNorm, GELU), Tanh bottleneck" % (t, f, d))


def conv2d_ae(size):
    hw, w = (64, 32) if size == "full" else (32, 4)

    def build():
        from torch import nn

        def down(i, o):
            return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.LeakyReLU(0.2), nn.MaxPool2d(2)]

        def up(i, o, mode):
            kw = {"align_corners": False} if mode == "bilinear" else {}
            return [nn.Upsample(scale_factor=2, mode=mode, **kw), nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.LeakyReLU(0.2)]

        return nn.Sequential(
            *down(3, w), *down(w, 2 * w), *down(2 * w, 4 * w),
            *up(4 * w, 2 * w, "nearest"), *up(2 * w, w, "bilinear"),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(w, 3, 3, padding=1), nn.Sigmoid(),
        )

    return Family("conv2d_ae", build, ["input"], ["reconstruction"], _images(3, hw, hw),
                  "Conv2d autoencoder [N,3,%d,%d]: Conv2d, BatchNorm, LeakyReLU, MaxPool, Upsample nearest and bilinear, Sigmoid" % (hw, hw))


FAMILIES = [resnet18, mobilenet_v3_small, efficientnet_b0, convnext_tiny, squeezenet1_1, vit, bert,
            lstm_ae, gru_ae, conv1d_ae, transformer_ae, conv2d_ae]


def families(size):
    assert size in SIZES, size
    return [f(size) for f in FAMILIES]
