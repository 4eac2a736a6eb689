/* A chapter's figures at full size. The page shows each figure shrunk to the text column (on a
   phone to a third of its size or less); a click, a tap, or Enter / Space on the focused figure
   opens it in a dialog at its natural size (saved at 2x, so it stays sharp), scrollable when it
   is wider than the screen. Esc, the close button or a click outside it closes the dialog and
   gives the focus back to the figure. No dependency: the browser's <dialog> traps the focus and
   closes on Esc. Without JavaScript the figure's link opens the image file itself.
   tests/test_site.py checks that a click opens it at full size and that Esc closes it. */
"use strict";

(() => {
  function setup() {
    const images = document.querySelectorAll(".bd-article figure img");
    if (!images.length) return;

    // Made on the first open: an <img> without a source would count as a broken image.
    let dialog = null;
    let full = null;
    let close = null;
    let opener = null;

    function makeDialog() {
      dialog = document.createElement("dialog");
      dialog.className = "dlb-lightbox";
      dialog.setAttribute("aria-label", "Figure at full size");
      close = document.createElement("button");
      close.type = "button";
      close.className = "dlb-lightbox__close";
      close.setAttribute("aria-label", "Close the full-size figure (Esc)");
      close.textContent = "\u00d7";
      full = document.createElement("img");
      full.className = "dlb-lightbox__image";
      dialog.append(close, full);
      document.body.append(dialog);
      close.addEventListener("click", () => dialog.close());
      dialog.addEventListener("click", (event) => {
        if (event.target !== close) dialog.close();
      });
      dialog.addEventListener("close", () => {
        if (opener) opener.focus();
      });
    }

    function open(img, focusTarget) {
      if (!dialog) makeDialog();
      opener = focusTarget;
      full.src = img.currentSrc || img.src;
      full.alt = img.alt;
      // The size the figure was made for (half the pixels of a 2x image), which the page gives
      // it as its style's width; else its pixels.
      const width = parseFloat(img.style.width) || Number(img.getAttribute("width"))
        || img.naturalWidth;
      full.style.width = `${width}px`;
      dialog.showModal();
      close.focus();
    }

    for (const img of images) {
      const link = img.closest("a");
      const target = link || img;
      if (!link) {
        img.tabIndex = 0;
        img.setAttribute("role", "button");
      }
      target.setAttribute("aria-haspopup", "dialog");
      target.title = "Open the figure at full size";
      img.classList.add("dlb-zoomable");
      target.addEventListener("click", (event) => {
        event.preventDefault();
        open(img, target);
      });
      if (!link) {
        img.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            open(img, img);
          }
        });
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
