"""PyTorch baseline for the training-step benchmark: one TopK SAE training step at C1, C2 and C3.

The speed issue's reference is "PyTorch 1.13 with OpenBLAS, training a TopK SAE (Adam, unit-norm decoder, MSE),
best of three implementations". This script times those three on the machine it runs on, so that the C# figures of
TrainingStepBenchmarks can be compared with PyTorch on the same machine:

  dense          encoder addmm with autograd, top-k, codes scattered into a dense batch x latents matrix, decoder matmul;
                 autograd runs the dense backward of both products.
  embedding_bag  the same encoder, the decoder as F.embedding_bag over the k active rows of W_dec (sparse decode and
                 sparse decoder gradient).
  sparse         embedding_bag decode, and an encoder whose backward touches only the active latents: the
                 pre-activations are computed without autograd, and a custom autograd function gives the gradients of
                 the k active entries per row (W_enc gradient as a sparse x dense product, input gradient as an
                 embedding_bag over W_enc).

Every implementation trains the same model: pre = (x - b_dec) W_enc^T + b_enc, z = ReLU(TopK_k(pre)),
x_hat = z W_dec + b_dec, loss = (1/B) sum_b ||x_b - x_hat_b||^2, Adam; the decoder gradient is projected onto the
tangent space of each unit-norm row before the step and the rows are renormalised after it (as SaeTrainer does).
Data: rows that are sums of 32 of 2d random unit features with uniform(0, 1) magnitudes (like the C# synthetic source,
not the same numbers). Prints, per configuration and implementation, the median and fastest step and tokens/s =
batch / median.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

CONFIGS = {  # name: (d, latents, k, batch)
    "C1": (768, 3072, 32, 1024),
    "C2": (768, 16384, 32, 1024),
    "C3": (256, 512, 36, 10_000),
}
IMPLEMENTATIONS = ("dense", "embedding_bag", "sparse")


class ActiveEncoder(torch.autograd.Function):
    """Passes the active pre-activations through; the backward reaches only the active latents."""

    @staticmethod
    def forward(ctx, centered, w_enc, b_enc, indices, active):
        ctx.save_for_backward(centered, w_enc, indices)
        ctx.latents = w_enc.shape[0]
        return active

    @staticmethod
    def backward(ctx, grad_active):
        centered, w_enc, indices = ctx.saved_tensors
        rows, k = indices.shape
        flat_latents = indices.reshape(-1)
        flat_rows = torch.arange(rows, device=indices.device).repeat_interleave(k)
        flat_grad = grad_active.reshape(-1)
        by_latent = torch.sparse_coo_tensor(torch.stack([flat_latents, flat_rows]), flat_grad, (ctx.latents, rows))
        grad_w = torch.sparse.mm(by_latent, centered)
        grad_b = torch.zeros(ctx.latents, dtype=grad_active.dtype).index_add_(0, flat_latents, flat_grad)
        grad_centered = F.embedding_bag(indices, w_enc, per_sample_weights=grad_active, mode="sum")
        return grad_centered, grad_w, grad_b, None, None


class TopKSae(torch.nn.Module):
    def __init__(self, d, latents, k, batch, generator):
        super().__init__()
        w = torch.randn(latents, d, generator=generator)
        w /= w.norm(dim=1, keepdim=True)
        self.w_dec = torch.nn.Parameter(w.clone())
        self.w_enc = torch.nn.Parameter(w.clone())
        self.b_enc = torch.nn.Parameter(torch.zeros(latents))
        self.b_dec = torch.nn.Parameter(batch.mean(dim=0))
        self.k = k

    def loss(self, x, implementation):
        centered = x - self.b_dec
        if implementation == "sparse":
            with torch.no_grad():
                pre = torch.addmm(self.b_enc, centered, self.w_enc.t())
                top = pre.topk(self.k, dim=1, sorted=False)
            active = ActiveEncoder.apply(centered, self.w_enc, self.b_enc, top.indices, top.values)
            indices = top.indices
        else:
            pre = torch.addmm(self.b_enc, centered, self.w_enc.t())
            top = pre.topk(self.k, dim=1, sorted=False)
            active = top.values
            indices = top.indices
        codes = F.relu(active)
        if implementation == "dense":
            dense = torch.zeros_like(pre).scatter_(1, indices, codes)
            x_hat = torch.addmm(self.b_dec, dense, self.w_dec)
        else:
            x_hat = F.embedding_bag(indices, self.w_dec, per_sample_weights=codes, mode="sum") + self.b_dec
        return (x_hat - x).pow(2).sum(dim=1).mean()


def synthetic_batch(d, rows, generator):
    features = torch.randn(2 * d, d, generator=generator)
    features /= features.norm(dim=1, keepdim=True)
    active = torch.rand(rows, 2 * d, generator=generator).topk(32, dim=1).indices
    magnitudes = torch.rand(rows, 32, generator=generator)
    return F.embedding_bag(active, features, per_sample_weights=magnitudes, mode="sum")


def step(model, optimizer, x, implementation):
    optimizer.zero_grad(set_to_none=True)
    loss = model.loss(x, implementation)
    loss.backward()
    with torch.no_grad():
        w, g = model.w_dec, model.w_dec.grad
        g -= (g * w).sum(dim=1, keepdim=True) * w
        optimizer.step()
        w /= w.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return loss.item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--implementations", nargs="+", default=list(IMPLEMENTATIONS), choices=IMPLEMENTATIONS)
    parser.add_argument("--steps", type=int, default=15, help="timed steps per configuration and implementation")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.threads < 1:
        parser.error(f"--steps and --threads must be at least 1 and --warmup at least 0; got {args.steps}, {args.threads}, {args.warmup}")

    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; {args.warmup} warm-up and {args.steps} timed steps each")
    for name in args.configs:
        d, latents, k, rows = CONFIGS[name]
        for implementation in args.implementations:
            generator = torch.Generator().manual_seed(1)
            x = synthetic_batch(d, rows, generator)
            model = TopKSae(d, latents, k, x, generator)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
            times = []
            for i in range(args.warmup + args.steps):
                start = time.perf_counter()
                loss = step(model, optimizer, x, implementation)
                elapsed = time.perf_counter() - start
                if i >= args.warmup:
                    times.append(elapsed)
            median = statistics.median(times)
            print(f"{name} {implementation:<14} median {median * 1e3:9.1f} ms  min {min(times) * 1e3:9.1f} ms  "
                  f"tokens/s {rows / median:10,.0f} (fastest step {rows / min(times):10,.0f})  last loss {loss:.4f}")


if __name__ == "__main__":
    main()
