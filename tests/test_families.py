"""The families' descriptors: each says truly what its sampler takes, and the table imports a family only when
it is looked up."""

import inspect
import subprocess
import sys

import pytest

from explorer.core.families import FAMILIES, ModelFamily, SampleOptions


@pytest.mark.parametrize("name", list(FAMILIES))
def test_a_descriptor_declares_the_options_its_sampler_takes(name):
    family = FAMILIES[name]
    assert family.name == name and isinstance(family, ModelFamily)
    params = list(inspect.signature(family.sample_images).parameters)
    options = params[3:]  # after (model, n, seed)
    assert params[1:3] == ["n", "seed"]
    assert set(options) == family.options <= set(SampleOptions.__annotations__)
    assert family.takes_sampler == (family.timesteps is not None)
    assert family.timesteps is None or family.timesteps(family.config()) == family.config().timesteps


def test_an_option_a_family_does_not_take_is_refused_before_it_draws():
    with pytest.raises(TypeError, match="the vae family takes no digit"):
        FAMILIES["vae"].sample(None, 1, 0, digit=3)
    with pytest.raises(TypeError, match="the cvae family takes no guidance, sampler"):
        next(FAMILIES["cvae"].draw(None, 1, 0, guidance=1.0, sampler=None))


def test_a_descriptor_that_contradicts_itself_is_refused():
    vae = FAMILIES["vae"]
    with pytest.raises(ValueError, match="a sampler needs timesteps"):
        ModelFamily("x", "X", vae.config, vae.train, vae.from_checkpoint, vae.sample_images, frozenset({"sampler"}))
    with pytest.raises(ValueError, match="do not fit"):
        ModelFamily("x", "X", vae.config, vae.train, vae.from_checkpoint, vae.sample_images, frozenset({"colour"}))


def test_naming_the_families_imports_none_of_them():
    code = (
        "import sys; from explorer.core.families import FAMILIES;"
        "names = list(FAMILIES); assert 'cddpm' in FAMILIES and 'nope' not in FAMILIES;"
        "loaded = [m for m in sys.modules if m.endswith('.family')];"
        "print(names, loaded); sys.exit(1 if loaded or names != ['vae', 'ddpm', 'gan', 'pixelcnn', 'cvae', 'cddpm', 'cgan'] else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
