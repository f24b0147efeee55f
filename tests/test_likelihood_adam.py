"""The live fits' Adam takes the very steps torch.optim.Adam takes."""

import torch

from explorer.core.likelihood.adam import Adam


def test_adam_steps_as_torch_optims_adam_does():
    torch.manual_seed(0)
    target = torch.randn(3, dtype=torch.float64)
    ours = [
        torch.randn(3, dtype=torch.float64, requires_grad=True),
        torch.zeros(1, dtype=torch.float64, requires_grad=True),
    ]
    theirs = [p.detach().clone().requires_grad_(True) for p in ours]
    mine, reference = Adam(ours, lr=0.05, betas=(0.8, 0.99)), torch.optim.Adam(theirs, lr=0.05, betas=(0.8, 0.99))
    for _ in range(50):
        for params, optimiser in ((ours, mine), (theirs, reference)):
            optimiser.zero_grad()
            loss = ((params[0] - target) ** 4).sum() + (params[1] - 2.0).pow(2).sum() * params[0].sum().exp()
            loss.backward()
            optimiser.step()
    for a, b in zip(ours, theirs, strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)
    assert not torch.allclose(ours[0], torch.zeros(3, dtype=torch.float64))  # it moved


def test_building_the_likelihood_states_does_not_import_torchs_compiler():
    import subprocess
    import sys

    code = (
        "import sys; from explorer.core.likelihood.states import VIState; from explorer.core.likelihood import exponential_vi;"
        "import explorer.core.likelihood.states as s; [cls() for cls in vars(s).values() "
        "if isinstance(cls, type) and cls.__module__ == s.__name__ and cls.__name__.endswith('State')];"
        "print('torch._dynamo' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
