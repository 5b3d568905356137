"""The words every layer writes with: what provenances, price tiers, decoding modes and models are called, how money
and token volumes are written, and user text made literal in Markdown. Pure Python; the answers write their sentences
with these, the presentation its tables and charts."""

from __future__ import annotations

import numpy as np

from calculator.data.schema import KNOWN_MODELS

PROVENANCE_LABELS: dict[str, str] = {
    "measured": "measured here",
    "uploaded": "uploaded",
    "vendor": "vendor-reported",
    "vendor_internal": "vendor internal",
    "community": "community",
    "estimated": "estimated",
}
# A second badge for figures from a pre-release checkpoint (the B200 sweep's Nemotron rows): not the released model.
PRERELEASE_LABEL = "pre-release checkpoint"
TIER_LABELS: dict[str, str] = {
    "on_demand": "on-demand",
    "spot": "spot",
    "reserved_1y": "1-yr reserved",
    "reserved_3y": "3-yr reserved",
    "owned": "owned (TCO)",
    "rental_3y": "3-yr rental",
}
MODE_LABELS: dict[str, str] = {
    "ar": "AR",
    "diffusion": "diffusion",
    "self_spec": "self-speculation",
    "spec_eagle3": "EAGLE-3",
    "spec_mtp": "MTP",
}


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def model_label(model: str) -> str:
    return KNOWN_MODELS.get(model, model)


def tier_label(tier: str) -> str:
    return TIER_LABELS.get(tier, tier)


def fmt_usd(x: float | None, digits: int = 3) -> str:
    """$0.000 style; an em dash for a missing value."""
    if x is None or not np.isfinite(x):
        return "—"
    return f"${x:,.{digits}f}"


def fmt_int(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:,.0f}"


def fmt_tokens(x: float) -> str:
    """Token volumes in words: 1.2 B, 350 M."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:,.2f} {unit}"
    return f"{x:,.0f}"


_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()#!|<>~$:&")


def md_escape(text: str, limit: int = 200) -> str:
    """User-controlled text (a URL value, a file or profile name, a note) made literal in Markdown: every ASCII
    punctuation mark that Markdown or Streamlit's directives (:red[...], :material/...:) and autolinks read is
    backslash-escaped (an underscore inside a word, which GFM never reads as emphasis, is kept: `self_spec`), line
    breaks become spaces, and the text is cut to `limit` characters. No link (autolinks included), image or HTML
    survives."""
    flat = " ".join(str(text)[: max(limit, 0) + 1].split())
    cut = flat[:limit] + ("…" if len(flat) > limit else "")
    out = []
    for i, ch in enumerate(cut):
        intraword = ch == "_" and 0 < i < len(cut) - 1 and cut[i - 1].isalnum() and cut[i + 1].isalnum()
        out.append("\\" + ch if ch in _MARKDOWN_PUNCTUATION and not intraword else ch)
    # GFM's autolink literals (http://..., www....) survive backslash escapes: a zero-width space breaks them.
    text = "".join(out)
    for marker in ("//", "www.", "WWW."):
        text = text.replace(marker, marker[0] + "\u200b" + marker[1:])
    return text


def md(value: object, limit: int = 200) -> str:
    """Any value as literal Markdown text (md_escape of its str)."""
    return md_escape(str(value), limit)


def escape_dollars(text: str) -> str:
    """Markdown text with "$" escaped, so two prices in one caption do not become a LaTeX formula."""
    return text.replace("\\$", "$").replace("$", "\\$")
