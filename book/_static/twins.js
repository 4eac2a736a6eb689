/* The website's player for the explorers' twins (book/_ext/twin_frames.py puts each on the page:
   its first picture, a labelled menu or slider per control, and the address of its manifest,
   _twins/<slug>-<key>/manifest.json, in data-dlb-grid-twin).

   Every combination of the controls' values is a picture f<index>.png beside the manifest, the
   index row-major with the last control varying fastest. The manifest is read when the twin
   comes near the screen (or is touched or focused); a change of a control shows its picture at
   once when it is cached, with its text for screen readers, and the pictures one step away
   along every control are fetched ahead. No dependency, no network beyond the site. */
"use strict";

(() => {
  const NEAR = "600px 0px"; // start reading a twin's manifest this far before it is seen

  /* The value indices one step away from `at` along each control (counts: values per control). */
  const neighbours = (at, counts) => {
    const out = [];
    at.forEach((i, k) => {
      for (const step of [-1, 1]) {
        if (i + step < 0 || i + step >= counts[k]) continue;
        const next = at.slice();
        next[k] = i + step;
        out.push(next);
      }
    });
    return out;
  };

  /* A twin with several controls (book/_ext/twin_frames.py writes its markup: a picture and a
     labelled menu or slider per control, each with data-control = its place in the manifest).
     Every combination is a picture f<index>.png beside the manifest; the index is row-major,
     the last control varying fastest. A change shows its picture at once when it is cached,
     and fetches the pictures one step away along every control. */
  class GridTwin {
    constructor(root) {
      this.root = root;
      this.img = root.querySelector("img");
      this.url = new URL(root.dataset.dlbGridTwin, document.baseURI);
      this.counts = root.dataset.counts.split(",").map(Number);
      this.inputs = [...root.querySelectorAll("[data-control]")];
      this.cache = new Map();
      this.manifest = null;
      this.ready = null;
      this.inputs.forEach((input) => input.addEventListener("input", () => this.show()));
    }

    load() {
      if (!this.ready) {
        this.ready = fetch(this.url).then((r) => r.json()).then((manifest) => {
          this.manifest = manifest;
          const at = this.at();
          this.img.alt = manifest.alts[this.index(at)];
          this.root.dataset.ready = "true";
          this.prefetch(at);
        }).catch(() => {});
      }
      return this.ready;
    }

    at() {
      return this.inputs.map((input) => Number(input.value));
    }

    index(indices) {
      return indices.reduce((at, i, k) => at * this.counts[k] + i, 0);
    }

    src(frame) {
      const name = this.manifest ? this.manifest.frames[frame]
        : `f${String(frame).padStart(3, "0")}.png`;
      return new URL(name, this.url).href;
    }

    fetchFrame(frame) {
      if (this.cache.has(frame)) return;
      const image = new Image();
      image.decoding = "async";
      image.src = this.src(frame);
      this.cache.set(frame, image);
    }

    prefetch(at) {
      neighbours(at, this.counts).forEach((n) => this.fetchFrame(this.index(n)));
    }

    show() {
      this.load();
      const at = this.at();
      const frame = this.index(at);
      this.img.src = this.src(frame);
      if (this.manifest && this.manifest.alts) this.img.alt = this.manifest.alts[frame];
      this.inputs.forEach((input, k) => {
        if (input.tagName !== "INPUT") return;
        const text = JSON.parse(input.dataset.values)[at[k]];
        input.setAttribute("aria-valuetext", text);
        const shown = this.root.querySelector(`output[for="${input.id}"]`);
        if (shown) shown.textContent = text;
      });
      this.root.dataset.frame = String(frame);
      this.prefetch(at);
    }
  }

  /* Load each twin's manifest when it comes near the screen, or is touched or focused. */
  const loadWhenNear = (twins) => {
    const byRoot = new Map(twins.map((twin) => [twin.root, twin]));
    for (const twin of twins) {
      twin.root.addEventListener("pointerdown", () => twin.load(), {once: true});
      twin.root.addEventListener("focusin", () => twin.load(), {once: true});
    }
    if (!("IntersectionObserver" in window)) {
      twins.forEach((twin) => twin.load());
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        byRoot.get(entry.target).load();
      }
    }, {rootMargin: NEAR});
    twins.forEach((twin) => observer.observe(twin.root));
  };

  const start = () => {
    loadWhenNear([...document.querySelectorAll("[data-dlb-grid-twin]")]
      .map((root) => new GridTwin(root)));
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
