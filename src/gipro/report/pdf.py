"""The report as a PDF: the HTML page printed by a Chromium or Chrome in headless mode.

The page is laid out at the width of an A4 page (its print stylesheet: no toolbars, no
navigation, no chart cut across two pages) and printed by the browser itself, so the PDF shows
what the HTML shows, charts included, with the reader's fonts for Chinese. No browser is
downloaded: gipro uses the one installed on the machine (Debian: ``apt-get install
chromium``), or the one named by ``$GIPRO_CHROMIUM``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import GiproError, InputError

__all__ = ["PDF_SUFFIXES", "PrintError", "find_chromium", "print_pdf"]

PDF_SUFFIXES = (".pdf",)

#: Flags of the headless browser: no sandbox (containers run as root), no GPU, and nothing
#: that would reach the network (updates, sync, first-run pages).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--no-pdf-header-footer", "--hide-scrollbars")

#: CSS pixels of the printable width of an A4 page with 12 mm margins (186 mm at 96 dpi):
#: the page is laid out at this width, so the charts are drawn at the width they print.
A4_WIDTH_PX = 703

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
               "chrome")


class PrintError(GiproError):
    """The PDF cannot be printed: no Chromium/Chrome, or the browser failed."""


def find_chromium() -> str | None:
    """Path of a Chromium or Chrome: ``$GIPRO_CHROMIUM``, ``/usr/bin/chromium``, then the
    ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``...); None when none."""
    env = os.environ.get("GIPRO_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 120.0,
              lang: str = "en") -> Path:
    """Print an HTML report to a PDF file with the headless browser.

    Parameters
    ----------
    html : str or Path
        The report's HTML text, or the path of an HTML file.
    pdf : str or Path
        The PDF to write (its folder is created).
    timeout : float
        Seconds the browser may take.
    lang : {"en", "zh"}
        Language of the message when no browser is installed.

    Returns
    -------
    Path

    Raises
    ------
    PrintError
        No Chromium/Chrome is installed (saying how to install one), or it failed or timed
        out.
    InputError
        The PDF cannot be written.
    """
    exe = find_chromium()
    if exe is None:
        from .i18n import translate

        raise PrintError(translate("pdf_no_chromium", lang),
                         [translate("pdf_install", lang), translate("pdf_or_html", lang)])
    pdf = Path(pdf)
    try:
        pdf.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the PDF to {pdf}: {exc.strerror}") from None
    with tempfile.TemporaryDirectory(prefix="gipro-pdf-") as tmp:
        if isinstance(html, Path):
            page = html.resolve()
        else:
            page = Path(tmp) / "report.html"
            page.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [exe, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--window-size={A4_WIDTH_PX},1000", "--virtual-time-budget=20000",
               "--run-all-compositor-stages-before-draw", f"--print-to-pdf={out}",
               page.as_uri()]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                 check=False)
        except subprocess.TimeoutExpired:
            raise PrintError(f"{exe} did not print the PDF within {timeout:g} s") from None
        except OSError as exc:
            raise PrintError(f"cannot start {exe}: {exc.strerror}") from None
        if res.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            last = (res.stderr or "").strip().splitlines()[-3:]
            raise PrintError(f"{exe} could not print the PDF (exit {res.returncode})", last)
        from ..tables import replace_file

        try:
            with replace_file(pdf) as tmp_pdf:
                shutil.copyfile(out, tmp_pdf)
        except OSError as exc:
            raise InputError(f"cannot write the PDF to {pdf}: {exc.strerror}") from None
    return pdf
