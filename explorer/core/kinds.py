"""What a sentence calls each kind of checkpoint: "VAE", "PixelCNN", "2-D Lab flow-matching field".

A checkpoint's kind ("vae", "plane-fm") is a key for files and commands, not a word for a learner: a load
dialog, a command-line error or a status line names the model by its title, as the papers and the tabs do.
The MNIST families' titles live in their descriptors (``<family>/family.py``); the other kinds' are here.
"""

from __future__ import annotations

from explorer.core.runtime.quoting import shown

OTHER_TITLES = {
    "classifier": "MNIST classifier",
    "noisy-classifier": "noisy classifier",
    "gmm": "Gaussian mixture",
    "plane-score": "2-D Lab score net",
    "plane-ddpm": "2-D Lab DDPM",
    "plane-realnvp": "2-D Lab RealNVP",
    "plane-fm": "2-D Lab flow-matching field",
    "plane-reflow": "2-D Lab reflowed field",
}
SPOKEN_VOWEL_LETTERS = "AEFHILMNORSX"  # an initialism read letter by letter takes "an" after these: an MNIST, an FM


def kind_title(kind: str) -> str:
    """The title of a checkpoint ``kind`` ("gan" -> "GAN"); a kind the app does not know, as read from a file,
    is shown safely (escaped, or quoted) and called a model: "'x\\x1b' model"."""
    from explorer.core.families import FAMILIES  # here: the checkpoint reader, which families imports, names kinds

    if kind in FAMILIES:
        return FAMILIES[kind].title
    return OTHER_TITLES.get(kind) or f"{shown(kind)} model"


def with_article(title: str, capital: bool = False) -> str:
    """``title`` after "a" or "an" as it is read aloud: "a VAE", "an MNIST classifier", "a noisy classifier";
    ``capital``: to start a sentence ("A VAE")."""
    word = title.split(" ", 1)[0]
    initialism = len(word) > 1 and word.isupper() and word.isalpha()
    vowel = word[:1] in SPOKEN_VOWEL_LETTERS if initialism else word[:1].lower() in "aeiou"
    article = "an" if vowel else "a"
    return f"{article.capitalize() if capital else article} {title}"


def a_kind(kind: str, capital: bool = False) -> str:
    """``kind_title`` with its article: "a GAN", "an MNIST classifier" (``capital``: "A GAN")."""
    return with_article(kind_title(kind), capital)
