/* The website's player for static twins (book/_ext/twin_frames.py writes their frames as files
   with a manifest, _twins/<key>/manifest.json, and marks each twin's element with
   data-dlb-twin).

   It drives the twin's own markup, as the notebook saved it: the slider, the buttons (which call
   a global object named in data-anim, as matplotlib's player did) and the repetition mode. The
   first frame is in the page's HTML (a lazy <img> with its size); the manifest is read when the
   twin comes near the screen, and the frames next to the one shown are fetched ahead as the
   reader moves, so a step shows at once. No dependency, no network beyond the site.

   Manifest ("format": "dlb-twin/1"): "controls" is a list of {name, label, kind, values};
   "frames" one file per combination of their values, the last control varying fastest. A twin
   with one control named "frame" is scrubbed with its own slider; any other control gets a
   labelled slider or menu of its own above the buttons. */
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

  class Twin {
    constructor(root) {
      this.root = root;
      this.img = root.querySelector("img");
      this.slider = root.querySelector("input.anim-slider");
      this.loopForm = root.querySelector("form.anim-state");
      this.interval = Number(root.dataset.interval) || 500;
      this.current_frame = 0;
      this.direction = 0;
      this.timer = null;
      this.frames = [];
      this.cache = new Map();
      this.slider.max = Number(root.dataset.frames) - 1;
      this.slider.value = 0;
      this.ready = null;
    }

    /* Read the manifest once; resolves when the frames' addresses are known. */
    load() {
      if (!this.ready) {
        const url = new URL(this.root.dataset.dlbTwin, document.baseURI);
        this.ready = fetch(url).then((r) => r.json()).then((manifest) => {
          this.manifest = manifest;
          this.frames = manifest.frames.map((name) => ({src: new URL(name, url).href}));
          this.counts = manifest.controls.map((c) => c.values.length);
          this.buildControls();
          this.set_frame(this.current_frame);
        });
      }
      return this.ready;
    }

    /* The frame of one value index per control (row-major, the last control fastest). */
    index(indices) {
      return indices.reduce((at, i, k) => at * this.counts[k] + i, 0);
    }

    indices(frame) {
      const out = [];
      for (let k = this.counts.length - 1; k >= 0; k -= 1) {
        out.unshift(frame % this.counts[k]);
        frame = Math.floor(frame / this.counts[k]);
      }
      return out;
    }

    fetchFrame(frame) {
      if (frame < 0 || frame >= this.frames.length || this.cache.has(frame)) return;
      const image = new Image();
      image.decoding = "async";
      image.src = this.frames[frame].src;
      this.cache.set(frame, image);
    }

    /* The frames one step away along every control, and the next two when playing. */
    prefetch(frame) {
      neighbours(this.indices(frame), this.counts).forEach((n) => this.fetchFrame(this.index(n)));
      if (this.direction) this.fetchFrame(frame + 2 * this.direction);
    }

    /* Other controls than the frame slider: a labelled slider or menu each (twins that vary
       several settings at once). */
    buildControls() {
      const controls = this.manifest.controls;
      if (controls.length === 1 && controls[0].name === "frame") return;
      const box = document.createElement("div");
      box.className = "dlb-twin-controls";
      this.inputs = controls.map((control, k) => {
        const id = `${this.root.dataset.anim}-${control.name}`;
        const label = document.createElement("label");
        label.htmlFor = id;
        label.textContent = control.label || control.name;
        let input;
        if (control.kind === "select") {
          input = document.createElement("select");
          control.values.forEach((v, i) => input.add(new Option(String(v), String(i))));
        } else {
          input = document.createElement("input");
          Object.assign(input, {type: "range", min: 0, max: control.values.length - 1, step: 1});
        }
        input.id = id;
        const shown = document.createElement("output");
        shown.htmlFor = id;
        input.addEventListener("input", () => {
          const at = this.indices(this.current_frame);
          at[k] = Number(input.value);
          this.set_frame(this.index(at));
        });
        box.append(label, input, shown);
        return {input, shown, control};
      });
      this.root.insertBefore(box, this.root.querySelector(".anim-controls"));
    }

    set_frame(frame) {
      this.current_frame = frame;
      this.slider.value = frame;
      if (!this.frames.length) {
        this.load();
        return;
      }
      this.img.src = this.frames[frame].src;
      if (this.inputs) {
        const at = this.indices(frame);
        this.inputs.forEach(({input, shown, control}, k) => {
          input.value = at[k];
          shown.textContent = String(control.values[at[k]]);
        });
      }
      this.prefetch(frame);
    }

    last() {
      return Number(this.slider.max);
    }

    next_frame() { this.set_frame(Math.min(this.last(), this.current_frame + 1)); }
    previous_frame() { this.set_frame(Math.max(0, this.current_frame - 1)); }
    first_frame() { this.set_frame(0); }
    last_frame() { this.set_frame(this.last()); }

    loopState() {
      const checked = this.loopForm && this.loopForm.querySelector("input:checked");
      return checked ? checked.value : "once";
    }

    step(direction) {
      const frame = this.current_frame + direction;
      if (frame >= 0 && frame <= this.last()) {
        this.set_frame(frame);
        return;
      }
      const mode = this.loopState();
      if (mode === "loop") {
        this.set_frame(direction > 0 ? 0 : this.last());
      } else if (mode === "reflect") {
        this.set_frame(direction > 0 ? this.last() : 0);
        this.run(-direction);
      } else {
        this.pause_animation();
        this.set_frame(direction > 0 ? this.last() : 0);
      }
    }

    run(direction) {
      this.pause_animation();
      this.direction = direction;
      this.load();
      this.timer = setInterval(() => this.step(this.direction), this.interval);
    }

    play_animation() { this.run(1); }
    reverse_animation() { this.run(-1); }

    pause_animation() {
      this.direction = 0;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    }

    speed(factor) {
      this.interval *= factor;
      if (this.direction) this.run(this.direction);
    }

    slower() { this.speed(1 / 0.7); }
    faster() { this.speed(0.7); }
  }

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
    loadWhenNear([...document.querySelectorAll(".animation[data-dlb-twin]")].map((root) => {
      const twin = new Twin(root);
      window[root.dataset.anim] = twin; // the buttons' onclick handlers call it by this name
      return twin;
    }));
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
