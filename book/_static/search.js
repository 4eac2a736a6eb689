/* The book's search (search.html), tuned for a course: the chapter that teaches a topic comes
   first, and each result's snippet reads as text.

   Sphinx's search (searchtools.js) scores a whole page 15 as soon as one of the query's words is
   in any of its section titles, so "learning rate" listed chapters 2, 4, 5, 6… in alphabetical
   order ("learning" is in every chapter's "Learning objectives"), and the API reference's
   entries crowded out the chapters ("dropout" put dlbasics.layers.Dropout above chapter 7).
   Its snippets were cut from the page as sent, so they began with the page's download menu
   (".ipynb .pdf"), the "Contents" column, or TeX ("\(J(w)\)").

   Here, before the search runs (this file loads before searchtools.js, and its DOMContentLoaded
   handler runs before the search starts):
   - every section whose title holds every word of the query is a result of its own, scored by
     how much of the title the query is; a chapter scores above the other pages, and the
     chapter whose own title holds a word of the query above the other chapters; exercises and
     solutions a little below the sections that teach;
   - a glossary entry comes next, then the API reference's entry whose name is the query
     (so "clip_grad_norm" still finds its function first), then pages that only mention it;
     other API entries last;
   - snippets come from the article alone, with maths as plain text (η, ∇, x/y), around the
     query's first appearance. tests/test_site.py checks the order and the snippets. */
"use strict";

(() => {
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", eta: "η",
    theta: "θ", kappa: "κ", lambda: "λ", mu: "μ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ",
    phi: "φ", omega: "ω", Delta: "Δ", Sigma: "Σ", nabla: "∇", partial: "∂", sum: "Σ",
    prod: "Π", cdot: "·", times: "×", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠",
    approx: "≈", pm: "±", infty: "∞", to: "→", rightarrow: "→", leftarrow: "←", odot: "⊙",
    dots: "…", ldots: "…", cdots: "…", top: "⊤", in: "∈", star: "⋆", ell: "ℓ", min: "min",
    max: "max", log: "log", exp: "exp", tanh: "tanh", sqrt: "√", mid: "|", lVert: "‖",
    rVert: "‖", quad: " ", qquad: " ",
  };

  /* TeX as it would be read aloud, roughly: \frac{a}{b} as (a)/(b), \eta as η, no braces. */
  const texToText = (tex) => {
    let text = tex.replace(/\\[()[\]]/g, " ");
    for (let k = 0; k < 3; k += 1) {
      text = text.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)");
    }
    text = text.replace(/\\[dt]?frac\s*(\w)(\w)/g, "$1/$2"); // \tfrac12
    return text
      .replace(/\\([A-Za-z]+)/g, (_, name) => SYMBOLS[name] ?? "")
      .replace(/\\([{}])/g, (_, brace) => (brace === "{" ? "\u0001" : "\u0002"))
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}$]/g, "")
      .replace(/\u0001/g, "{")
      .replace(/\u0002/g, "}")
      .replace(/\s+/g, " ")
      .trim();
  };

  const query = () => new URLSearchParams(window.location.search).get("q") || "";

  /* The text a snippet is cut from: the article (not the page's buttons, contents column or
     footer), maths as text; with an anchor, that section, or a glossary term with its
     definition. */
  const htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    const drop = ".headerlink, script, style, button, .dropdown-menu, .chapter-runtime";
    page.querySelectorAll(drop).forEach((e) => e.remove());
    page.querySelectorAll(".math").forEach((m) => m.replaceWith(` ${texToText(m.textContent)} `));
    const main = page.querySelector("article.bd-article") || page.querySelector('[role="main"]');
    if (!main) return "";
    const block = anchor ? page.getElementById(decodeURIComponent(anchor.slice(1))) : null;
    if (block && main.contains(block)) {
      if (block.tagName === "DT") {
        let definition = block.nextElementSibling;
        while (definition && definition.tagName === "DT") definition = definition.nextElementSibling;
        return `${block.textContent} ${definition ? definition.textContent : ""}`;
      }
      return block.textContent;
    }
    return main.textContent;
  };

  const makeSearchSummary = (htmlText, keywords, anchor) => {
    const text = htmlToText(htmlText, anchor).replace(/\s+/g, " ").trim();
    if (!text) return null;
    const lower = text.toLowerCase();
    let at = lower.indexOf(query().toLowerCase().trim());
    if (at < 0) {
      const found = [...keywords].map((k) => lower.indexOf(k.toLowerCase())).filter((i) => i >= 0);
      at = found.length ? Math.min(...found) : 0;
    }
    let start = Math.max(at - 80, 0);
    if (start > 0) start = lower.indexOf(" ", start) + 1 || start;
    const summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent =
      (start > 0 ? "… " : "") + text.substr(start, 240).trim() + (start + 240 < text.length ? " …" : "");
    return summary;
  };

  const isExercise = (title) => /^\s*\(|^Solution to /.test(title);
  const readable = (title) =>
    texToText(title).replace(/^\(([^)]*)\)$/, "Exercise: $1");

  const rank = (performSearch) => (q, searchTerms, excludedTerms, highlightTerms, objectTerms) => {
    const results = performSearch(q, searchTerms, excludedTerms, highlightTerms, objectTerms);
    const index = Search._index;
    const stemmer = new Stemmer();
    const stems = (text) => splitQuery(texToText(text).toLowerCase()).map((w) => stemmer.stemWord(w));
    const terms = [...searchTerms];
    const plain = (html) => html.replace(/<[^>]*>/g, ""); // titles hold HTML (section numbers)
    const chapterTitled = (file) => {
      const words = stems(plain(index.titles[file]));
      return terms.some((t) => words.includes(t));
    };
    const holdsQuery = (title) => {
      const words = stems(title);
      return terms.length > 0 && terms.every((t) => words.includes(t));
    };
    // How much a page is about the query: how many of its section titles hold all of it.
    const sectionsAbout = new Map();
    for (const [title, found] of Object.entries(index.alltitles)) {
      if (!holdsQuery(title)) continue;
      for (const [file] of found) sectionsAbout.set(file, (sectionsAbout.get(file) || 0) + 1);
    }
    const phrase = new RegExp(`(^|\\W)${q.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\W|$)`, "i");
    const sectionScore = (docname, file, title) => {
      if (!holdsQuery(title)) return null;
      if (docname === "book/api") return 6;
      let score = 40 + Math.round((20 * terms.length) / stems(title).length);
      if (phrase.test(texToText(title))) score += 8; // the words as typed, in that order
      if (docname.startsWith("notebooks/")) score += 5;
      if (chapterTitled(file)) score += 5;
      score += Math.min(2 * ((sectionsAbout.get(file) || 1) - 1), 10);
      if (isExercise(title)) score -= 12;
      return score;
    };

    // Every section (or page) whose title holds the whole query (Sphinx lists only titles at
    // most twice as long as the query).
    for (const [title, found] of Object.entries(index.alltitles)) {
      for (const [file, id] of found) {
        const docname = index.docnames[file];
        const score = sectionScore(docname, file, title);
        if (score === null) continue;
        const shown = index.titles[file] === title ? title : `${index.titles[file]} > ${title}`;
        results.push([docname, shown, id === null ? "" : `#${id}`, null, score,
                      index.filenames[file]]);
      }
    }

    const filenames = Object.fromEntries(index.filenames.map((name, file) => [name, file]));
    for (const result of results) {
      const [docname, title, anchor, descr, score, filename] = result;
      const file = filenames[filename];
      if (descr !== null) {
        // An entry of the API reference: high only when its name is the query.
        const last = title.toLowerCase().split(".").pop();
        result[4] = objectTerms.has(last) || title.toLowerCase() === q.toLowerCase() ? 30 : 3;
      } else if (docname === "book/glossary" && anchor.startsWith("#term-")) {
        result[4] = Math.round((35 * Math.min(score, 100)) / 100);
      } else if (title.includes(" > ")) {
        const section = title.slice(title.indexOf(" > ") + 3);
        result[4] = sectionScore(docname, file, section) ?? Math.min(score, 14);
      } else if (docname === "book/api") {
        result[4] = Math.min(score, 4);
      } else if (docname.startsWith("notebooks/") && chapterTitled(file)) {
        result[4] = score + 2;
      }
      const parts = result[1].split(" > ").map(readable);
      // "4. Backpropagation > Backpropagation" (the chapter's own title) reads "4. Backpropagation".
      if (parts.length === 2 && plain(parts[0]).replace(/^[\d.]+\s+/, "") === parts[1]) parts.pop();
      result[1] = parts.join(" > ");
    }

    // One entry per place, its best score; best last (searchtools.js shows the list from its end).
    const best = new Map();
    for (const result of results) {
      const key = `${result[0]}${result[2]}|${result[3]}`;
      if (!best.has(key) || best.get(key)[4] < result[4]) best.set(key, result);
    }
    return [...best.values()].sort((a, b) => a[4] - b[4] || (a[1] < b[1] ? 1 : -1));
  };

  /* Other pages do not load the search index (book/_ext/light_pages.py): fetch it into the
     browser's cache as soon as the reader opens the search box, so the search page that the box
     leads to finds it there. */
  const prefetchIndex = () => {
    const root = document.documentElement.dataset.content_root || "";
    for (const file of ["searchindex.js", "_static/searchtools.js", "_static/language_data.js"]) {
      const link = document.createElement("link");
      link.rel = "prefetch";
      link.href = root + file;
      document.head.append(link);
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Search === "undefined") {
      const opened = (event) => {
        if (!event.target.closest || !event.target.closest(".search-button__button, " +
            "#pst-search-dialog, form.bd-search, input[name=q]")) return;
        document.removeEventListener("focusin", opened);
        document.removeEventListener("pointerdown", opened);
        prefetchIndex();
      };
      document.addEventListener("focusin", opened);
      document.addEventListener("pointerdown", opened);
      return;
    }
    if (!Search._performSearch) return;
    Search._performSearch = rank(Search._performSearch);
    Search.htmlToText = htmlToText;
    Search.makeSearchSummary = makeSearchSummary;
  });
})();
