/*
 * Tenure storefront widget: a launcher button and a panel with the shopper's points,
 * tier, rewards (with redemption), coupons, history and referral link.
 *
 * Plain modern JavaScript, no dependencies and no build step; this file is served as is.
 * Embed it with one tag, the token signed by the store's backend for this shopper:
 *
 *   <script src="https://tenure.example/widget/tenure-widget.js" defer
 *           data-token="eyJ0ZW5hbnQiOi..." data-api="https://tenure.example"></script>
 *
 * Optional attributes: data-referral-url (the store's referral link for this shopper),
 * data-locale (the language and region to speak and to write money and dates in; default:
 * the member's locale for the language, the page's lang for money and dates),
 * data-position ("left" or "right"), data-title.
 *
 * The widget speaks English and Polish (TEXTS below; a language is one more entry). Its
 * look follows the CSS custom properties documented in tenure-widget.css (--tw-accent …).
 * The widget talks to Tenure's member API only; it renders inside a Shadow DOM so that the
 * store's styles and the widget's cannot clash. window.TenureWidget offers open(), close(),
 * refresh() and setToken(token) for single-page shops that renew tokens.
 */
(() => {
  "use strict";
  if (window.TenureWidget) return;
  const script = document.currentScript || document.querySelector('script[src*="tenure-widget.js"]');
  if (!script) return;
  const data = script.dataset;
  const cfg = {
    token: data.token || "",
    api: (data.api || new URL(script.src, location.href).origin).replace(/\/+$/, ""),
    referralUrl: data.referralUrl || "",
    locale: data.locale || document.documentElement.lang || navigator.language || "en",
    position: data.position === "left" ? "left" : "right",
    title: data.title || "",
    timeZone: undefined,
  };

  // ---- words -----------------------------------------------------------------------------

  /** Polish plural: 1 punkt, 2–4 punkty (but 12–14 punktów), 5+ punktów. */
  const plPlural = (n, one, few, many) => {
    n = Math.abs(n);
    if (n === 1) return one;
    const t = n % 10, h = n % 100;
    return t >= 2 && t <= 4 && (h < 12 || h > 14) ? few : many;
  };
  const TEXTS = {
    en: {
      title: "Rewards", points: (n, f) => f + (Math.abs(n) === 1 ? " point" : " points"), pts: "pts",
      pending: (p) => p + " pending", expire: (p, d) => p + " expire on " + d, credit: (m) => m + " store credit",
      hi: (name) => "Hi " + name + ", you have", have: "You have", pointsWord: "points", yourPoints: "Your points",
      tier: "Tier: ", progressTo: (n) => "Progress to " + n, topReached: "Top tier reached", topTier: "You have reached the top tier.",
      toNext: (need, name) => need + " more to reach " + name, refer: "Refer a friend", referLink: "Your referral link", copyLink: "Copy link",
      referSoon: "Invite friends and earn points together — coming soon.",
      pctOff: (p) => p + "% off your order", off: (m) => m + " off your order", freeShipping: "Free shipping", freeProduct: "A free product",
      storeCredit: (m) => m + " store credit", perPoints: (m, p) => m + " off for every " + p, onOrdersFrom: (m) => "on orders from " + m,
      rewards: "Rewards", noRewards: "No rewards to show yet.", notAvailable: "Not available", redeem: "Redeem",
      redeemLabel: (name, p) => "Redeem " + name + " for " + p, confirm: "Confirm", cancel: "Cancel", confirmGroup: "Confirm redemption",
      spendQ: (p, name) => "Spend " + p + " on " + name + "?", redeeming: "Redeeming…", codeFor: (name) => "Your code for " + name,
      validUntil: (d) => "Valid until " + d, forOrdersFrom: (m) => "For orders from " + m + ".", atCheckout: "Enter it at checkout.",
      codeReady: (c) => "Your code " + c + " is ready.", copyCode: "Copy code", copy: "Copy", copied: "Copied",
      copiedMsg: "Copied to the clipboard.", pressCopy: "Press Ctrl+C or Cmd+C to copy.", coupons: "Your coupons",
      history: "History", more: "Show more", nothing: "Nothing yet.", pendingTag: "pending", loading: "Loading…",
      unavailable: "Rewards are unavailable right now. Please try again later.", expired: "Your session has expired. Reload the page to see your points.",
      notMember: "You are not a member yet: your first order starts your points.", tryAgain: "Try again", close: (t) => "Close " + t,
      ways: "Ways to earn", spendWay: (p, m) => p + " for every " + m + " spent", minOrder: (m) => "on orders from " + m,
      actionWay: (p) => p, now: "On now", multiplier: (x) => "×" + x + " points on every order", bonus: (p) => p + " on every order",
      until: (d) => "until " + d,
      events: { "review.posted": "Write a review", "customer.created": "Join the program", "newsletter.signup": "Sign up for the newsletter",
        "survey.answered": "Answer a survey", "referral.signup": "Refer a friend", "social.shared": "Share us", "order.paid": "Place an order" },
    },
    pl: {
      title: "Nagrody", points: (n, f) => f + " " + plPlural(n, "punkt", "punkty", "punktów"), pts: "pkt",
      pending: (p) => p + " w oczekiwaniu", expire: (p, d) => p + " wygaśnie " + d, credit: (m) => m + " na koncie sklepu",
      hi: (name) => "Cześć " + name + ", masz", have: "Masz", pointsWord: "pkt", yourPoints: "Twoje punkty",
      tier: "Poziom: ", progressTo: (n) => "Postęp do poziomu " + n, topReached: "Najwyższy poziom osiągnięty", topTier: "Masz najwyższy poziom.",
      toNext: (need, name) => "Jeszcze " + need + " do poziomu " + name, refer: "Poleć znajomym", referLink: "Twój link polecający", copyLink: "Kopiuj link",
      referSoon: "Zapraszaj znajomych i zbierajcie punkty razem — już wkrótce.",
      pctOff: (p) => p + "% zniżki na zamówienie", off: (m) => m + " zniżki na zamówienie", freeShipping: "Darmowa dostawa", freeProduct: "Produkt gratis",
      storeCredit: (m) => m + " na koncie sklepu", perPoints: (m, p) => m + " zniżki za każde " + p, onOrdersFrom: (m) => "przy zamówieniu od " + m,
      rewards: "Nagrody", noRewards: "Nie ma jeszcze nagród.", notAvailable: "Niedostępna", redeem: "Wymień",
      redeemLabel: (name, p) => "Wymień " + p + " na: " + name, confirm: "Potwierdź", cancel: "Anuluj", confirmGroup: "Potwierdź wymianę",
      spendQ: (p, name) => "Wymienić " + p + " na: " + name + "?", redeeming: "Wymieniam…", codeFor: (name) => "Twój kod: " + name,
      validUntil: (d) => "Ważny do " + d, forOrdersFrom: (m) => "Przy zamówieniu od " + m + ".", atCheckout: "Wpisz go przy kasie.",
      codeReady: (c) => "Twój kod " + c + " jest gotowy.", copyCode: "Kopiuj kod", copy: "Kopiuj", copied: "Skopiowano",
      copiedMsg: "Skopiowano do schowka.", pressCopy: "Naciśnij Ctrl+C lub Cmd+C, aby skopiować.", coupons: "Twoje kupony",
      history: "Historia", more: "Pokaż więcej", nothing: "Jeszcze nic.", pendingTag: "w oczekiwaniu", loading: "Wczytuję…",
      unavailable: "Nagrody są chwilowo niedostępne. Spróbuj później.", expired: "Sesja wygasła. Odśwież stronę, aby zobaczyć punkty.",
      notMember: "Nie jesteś jeszcze w programie: pierwsze zamówienie przyniesie Ci punkty.", tryAgain: "Spróbuj ponownie", close: (t) => "Zamknij: " + t,
      ways: "Jak zdobywać punkty", spendWay: (p, m) => p + " za każde wydane " + m, minOrder: (m) => "przy zamówieniu od " + m,
      actionWay: (p) => p, now: "Teraz", multiplier: (x) => "×" + x + " punktów za każde zamówienie", bonus: (p) => p + " za każde zamówienie",
      until: (d) => "do " + d,
      events: { "review.posted": "Napisz opinię", "customer.created": "Dołącz do programu", "newsletter.signup": "Zapisz się do newslettera",
        "survey.answered": "Wypełnij ankietę", "referral.signup": "Poleć znajomego", "social.shared": "Udostępnij nas", "order.paid": "Złóż zamówienie" },
    },
  };
  /** The first supported language among the given locales ("pl-PL" -> "pl"). */
  const pickLang = (...locales) => {
    for (const l of locales) {
      const lang = String(l || "").toLowerCase().split(/[-_]/)[0];
      if (TEXTS[lang]) return lang;
    }
    return "en";
  };
  let lang = pickLang(data.locale, document.documentElement.lang, navigator.language);
  const T = () => TEXTS[lang];

  // ---- small helpers -------------------------------------------------------------------

  /** el builds an element; strings become text nodes, never HTML. */
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false || v == null) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  };
  const nf = new Intl.NumberFormat(cfg.locale);
  const points = (n) => T().points(n, nf.format(n));
  const date = (s) => {
    try {
      return new Intl.DateTimeFormat(cfg.locale, { dateStyle: "long", timeZone: cfg.timeZone }).format(new Date(s));
    } catch {
      return new Intl.DateTimeFormat(cfg.locale, { dateStyle: "long" }).format(new Date(s));
    }
  };
  const money = (minor, currency) => {
    try {
      const f = new Intl.NumberFormat(cfg.locale, { style: "currency", currency });
      return f.format(minor / 10 ** f.resolvedOptions().maximumFractionDigits);
    } catch {
      return nf.format(minor / 100) + " " + currency;
    }
  };

  class APIError extends Error {
    constructor(status, detail) {
      super(detail || "request failed (" + status + ")");
      this.status = status;
    }
  }

  const api = async (path, { method = "GET", body, headers = {} } = {}) => {
    let res;
    try {
      res = await fetch(cfg.api + path, {
        method, mode: "cors", credentials: "omit", cache: "no-store",
        headers: { Authorization: "Bearer " + cfg.token, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new APIError(0, T().unavailable);
    }
    let json = null;
    try { json = await res.json(); } catch { /* an empty or non-JSON body */ }
    if (!res.ok) throw new APIError(res.status, json && json.detail);
    return json;
  };

  // ---- the shell: host, shadow root, launcher, panel ------------------------------------

  const host = el("div", { id: "tenure-widget", "data-position": cfg.position, style: "display:none" });
  const root = host.attachShadow({ mode: "open" });
  const css = el("link", { rel: "stylesheet", href: cfg.api + "/widget/tenure-widget.css" });
  css.addEventListener("load", () => host.style.removeProperty("display"));
  css.addEventListener("error", () => console.warn("tenure-widget: could not load its stylesheet from", cfg.api));

  const badge = el("span", { class: "tw-launcher-points", hidden: true });
  const launcher = el("button", { type: "button", class: "tw-launcher", "aria-expanded": "false", "aria-controls": "tw-panel", "aria-haspopup": "dialog" },
    el("span", { class: "tw-star", "aria-hidden": "true" }, "★"), el("span", { class: "tw-launcher-title" }, cfg.title || T().title), badge);
  const heading = el("h2", { id: "tw-title", tabindex: "-1" }, cfg.title || T().title);
  const closeBtn = el("button", { type: "button", class: "tw-close", "aria-label": T().close(cfg.title || T().title) }, "×");
  const status = el("p", { class: "tw-sr", role: "status", "aria-live": "polite" });
  const body = el("div", { class: "tw-body" });
  const panel = el("section", { id: "tw-panel", class: "tw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "tw-title", hidden: true },
    el("header", { class: "tw-head" }, heading, closeBtn), status, body);
  root.append(css, el("div", { class: "tw", "data-position": cfg.position }, panel, launcher));

  const announce = (msg) => { status.textContent = ""; setTimeout(() => { status.textContent = msg; }, 50); };

  const open = () => {
    if (!panel.hidden) return;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    heading.focus();
    load();
  };
  const close = () => {
    if (panel.hidden) return;
    const inside = root.activeElement != null;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    if (inside) launcher.focus();
  };
  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeBtn.addEventListener("click", close);
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden) { e.stopPropagation(); close(); }
  });

  // ---- sections ------------------------------------------------------------------------

  const state = { summary: null, historyCursor: "" };
  const banner = el("div", { class: "tw-banner", role: "note", hidden: true });
  const sections = {
    banner,
    balance: el("section", { class: "tw-card tw-balance", "aria-label": T().yourPoints }),
    tier: el("section", { class: "tw-card tw-tier", "aria-labelledby": "tw-tier-h", hidden: true }),
    rewards: el("section", { class: "tw-section", "aria-labelledby": "tw-rewards-h" }),
    ways: el("section", { class: "tw-section", "aria-labelledby": "tw-ways-h", hidden: true }),
    coupons: el("section", { class: "tw-section", "aria-labelledby": "tw-coupons-h", hidden: true }),
    history: el("section", { class: "tw-section", "aria-labelledby": "tw-history-h" }),
    referral: el("section", { class: "tw-section", "aria-labelledby": "tw-referral-h" }),
  };
  const result = el("div", { class: "tw-result", hidden: true });
  body.append(...Object.values(sections));

  /** speak switches to the member's language when the page did not choose one. */
  const speak = (s) => {
    if (s.program && s.program.time_zone) cfg.timeZone = s.program.time_zone;
    if (data.locale || !s.locale) return;
    const next = pickLang(s.locale, document.documentElement.lang);
    if (next === lang) return;
    lang = next;
    if (!cfg.title) {
      launcher.querySelector(".tw-launcher-title").textContent = T().title;
      heading.textContent = T().title;
      closeBtn.setAttribute("aria-label", T().close(T().title));
    }
    sections.balance.setAttribute("aria-label", T().yourPoints);
    historyHeading.textContent = T().history;
    more.textContent = T().more;
  };

  const renderSummary = (s) => {
    state.summary = s;
    speak(s);
    badge.textContent = nf.format(s.points.available) + " " + T().pts;
    badge.hidden = false;
    const lines = [];
    if (s.points.pending > 0) lines.push(el("li", {}, T().pending(points(s.points.pending))));
    if (s.points.expiring) lines.push(el("li", { class: "tw-expiring" }, T().expire(points(s.points.expiring.amount), date(s.points.expiring.at))));
    if (s.credit > 0) lines.push(el("li", {}, T().credit(money(s.credit, s.program.currency))));
    sections.balance.replaceChildren(
      el("p", { class: "tw-hello" }, s.first_name ? T().hi(s.first_name) : T().have),
      el("p", { class: "tw-points" }, el("span", { class: "tw-points-num", "data-tw": "available" }, nf.format(s.points.available)), " " + T().pointsWord),
      lines.length ? el("ul", { class: "tw-facts" }, lines) : null);
    const t = s.tier;
    sections.tier.hidden = !t;
    if (t) {
      sections.tier.replaceChildren(
        el("h3", { id: "tw-tier-h" }, T().tier, el("strong", {}, t.name || "—")),
        el("div", { class: "tw-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(t.percent),
          "aria-label": t.next ? T().progressTo(t.next.name) : T().topReached }, el("span", { style: "width:" + t.percent + "%" })),
        el("p", { class: "tw-muted" }, lang === "en" && t.progress ? t.progress
          : t.next ? T().toNext(tierAmount(t.metric, t.next.need, s.program.currency), t.next.name) : T().topTier));
    }
    sections.referral.replaceChildren(el("h3", { id: "tw-referral-h" }, T().refer),
      cfg.referralUrl
        ? el("div", { class: "tw-copyrow" }, el("input", { class: "tw-input", readonly: true, value: cfg.referralUrl, "aria-label": T().referLink }),
            copyButton(cfg.referralUrl, T().copyLink))
        : el("p", { class: "tw-muted" }, lang === "en" ? s.referral.message : T().referSoon));
  };

  /** tierAmount writes what a tier still needs in its metric's terms. */
  const tierAmount = (metric, n, currency) => metric === "spend" ? money(n, currency) : metric === "orders" ? nf.format(n) : points(n);

  const describeReward = (r) => {
    switch (r.type) {
      case "percent_discount": return T().pctOff(r.percent);
      case "fixed_discount": return T().off(money(r.value, r.currency));
      case "free_shipping": return T().freeShipping;
      case "free_product": return T().freeProduct;
      case "store_credit": return T().storeCredit(money(r.value, r.currency));
      case "points_discount": return T().perPoints(money(r.value, r.currency), points(r.cost));
      default: return "";
    }
  };

  const renderRewards = (list) => {
    const items = list.map((r) => {
      const action = el("div", { class: "tw-action" });
      const li = el("li", { class: "tw-reward" + (r.available ? "" : " tw-locked") },
        el("div", { class: "tw-reward-main" },
          el("p", { class: "tw-reward-name" }, r.name),
          el("p", { class: "tw-muted" }, [describeReward(r), r.min_order ? T().onOrdersFrom(money(r.min_order, r.currency)) : ""].filter(Boolean).join(" ")),
          r.description ? el("p", { class: "tw-muted" }, r.description) : null),
        el("p", { class: "tw-cost" }, points(r.cost)), action);
      const reset = () => action.replaceChildren(r.available
        ? el("button", { type: "button", class: "tw-btn", "aria-label": T().redeemLabel(r.name, points(r.cost)), onclick: () => confirm(r, action, reset) }, T().redeem)
        : el("p", { class: "tw-why" }, (lang === "en" && r.message) || T().notAvailable));
      reset();
      return li;
    });
    sections.rewards.replaceChildren(el("h3", { id: "tw-rewards-h" }, T().rewards), result,
      items.length ? el("ul", { class: "tw-list" }, items) : el("p", { class: "tw-muted" }, T().noRewards));
  };

  const confirm = (r, action, reset) => {
    const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
    const yes = el("button", { type: "button", class: "tw-btn", onclick: () => redeem(r, key, yes, action, reset) }, T().confirm);
    const no = el("button", { type: "button", class: "tw-btn tw-btn-quiet", onclick: () => { reset(); action.querySelector("button")?.focus(); } }, T().cancel);
    action.replaceChildren(el("div", { class: "tw-confirm", role: "group", "aria-label": T().confirmGroup },
      el("p", {}, T().spendQ(points(r.cost), r.name)), el("div", { class: "tw-row" }, yes, no)));
    yes.focus();
  };

  const redeem = async (r, key, yes, action, reset) => {
    yes.disabled = true;
    yes.textContent = T().redeeming;
    try {
      const out = await api("/v1/member/redemptions", { method: "POST", body: { reward_id: r.id }, headers: { "Idempotency-Key": key } });
      showCode(out.coupon);
      state.summary.points = out.points;
      renderSummary(state.summary);
      await Promise.all([loadRewards(), loadCoupons(), loadHistory(true)]);
      result.querySelector("h4").focus();
    } catch (e) {
      reset();
      action.prepend(el("p", { class: "tw-error", role: "alert" }, e.message));
    }
  };

  const showCode = (c) => {
    result.hidden = false;
    result.replaceChildren(
      el("h4", { tabindex: "-1" }, T().codeFor(c.reward_name)),
      el("div", { class: "tw-copyrow" }, el("code", { class: "tw-code", "data-tw": "code" }, c.code), copyButton(c.code, T().copyCode)),
      el("p", { class: "tw-muted" }, [c.valid_until ? T().validUntil(date(c.valid_until)) + "." : "",
        c.min_order ? T().forOrdersFrom(money(c.min_order, c.currency)) : "", T().atCheckout].filter(Boolean).join(" ")));
    announce(T().codeReady(c.code));
  };

  function copyButton(text, label) {
    const b = el("button", { type: "button", class: "tw-btn tw-btn-quiet" }, label);
    b.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text);
        b.textContent = T().copied;
        announce(T().copiedMsg);
      } catch {
        const sel = b.previousElementSibling;
        if (sel && sel.select) sel.select();
        else if (sel) window.getSelection().selectAllChildren(sel);
        announce(T().pressCopy);
      }
      setTimeout(() => { b.textContent = label; }, 2000);
    });
    return b;
  }

  const renderCoupons = (list) => {
    const issued = list.filter((c) => c.state === "issued");
    sections.coupons.hidden = issued.length === 0;
    sections.coupons.replaceChildren(el("h3", { id: "tw-coupons-h" }, T().coupons),
      el("ul", { class: "tw-list" }, issued.map((c) => el("li", { class: "tw-coupon" },
        el("p", { class: "tw-reward-name" }, c.reward_name),
        el("div", { class: "tw-copyrow" }, el("code", { class: "tw-code" }, c.code), copyButton(c.code, T().copy)),
        c.valid_until ? el("p", { class: "tw-muted" }, T().validUntil(date(c.valid_until))) : null))));
  };

  const historyList = el("ul", { class: "tw-list tw-history" });
  const more = el("button", { type: "button", class: "tw-btn tw-btn-quiet", hidden: true, onclick: () => loadHistory(false) }, T().more);
  const historyHeading = el("h3", { id: "tw-history-h" }, T().history);
  sections.history.append(historyHeading, historyList, more);
  const renderHistory = (page, fresh) => {
    if (fresh) historyList.replaceChildren();
    historyList.append(...page.data.map((h) => el("li", { class: "tw-entry" },
      el("div", {}, el("p", { class: "tw-reward-name" }, h.title), h.detail ? el("p", { class: "tw-muted" }, h.detail) : null,
        el("p", { class: "tw-muted" }, date(h.at) + (h.pending ? " · " + T().pendingTag : ""))),
      el("p", { class: "tw-amount " + (h.points < 0 ? "tw-minus" : "tw-plus") }, (h.points > 0 ? "+" : "") + nf.format(h.points)))));
    if (fresh && page.data.length === 0) historyList.append(el("li", { class: "tw-muted" }, T().nothing));
    state.historyCursor = page.next_cursor || "";
    more.hidden = !state.historyCursor;
  };

  // ---- loading -------------------------------------------------------------------------

  const loadRewards = async () => renderRewards((await api("/v1/member/rewards")).data);
  const loadCoupons = async () => renderCoupons((await api("/v1/member/coupons?state=issued&limit=20")).data);
  const loadHistory = async (fresh) => {
    const cursor = fresh || !state.historyCursor ? "" : "&cursor=" + encodeURIComponent(state.historyCursor);
    renderHistory(await api("/v1/member/history?limit=20&lang=" + lang + cursor), fresh);
  };

  // Ways to earn, and a banner for the campaigns running now.
  const renderEarning = (e) => {
    const cur = state.summary ? state.summary.program.currency : "";
    const ways = e.ways.map((w) => {
      let how = "";
      if (w.kind === "spend" && w.points) how = T().spendWay(points(w.points), money(w.unit, cur)) + (w.min_order ? ", " + T().minOrder(money(w.min_order, cur)) : "");
      else if (w.kind === "action") how = "+" + points(w.points);
      return el("li", { class: "tw-way" }, el("p", { class: "tw-reward-name" }, w.kind === "action" && T().events[w.event] && lang !== "en" ? T().events[w.event] : w.name),
        how ? el("p", { class: "tw-muted" }, how) : null);
    });
    sections.ways.hidden = ways.length === 0;
    sections.ways.replaceChildren(el("h3", { id: "tw-ways-h" }, T().ways), el("ul", { class: "tw-list" }, ways));
    banner.hidden = e.campaigns.length === 0;
    banner.replaceChildren(...e.campaigns.map((c) => el("p", { class: "tw-banner-line", "data-tw": "campaign" },
      el("strong", {}, T().now + ": " + c.name), " — ", c.multiplier ? T().multiplier(c.multiplier) : T().bonus("+" + points(c.points)),
      c.ends_at ? " (" + T().until(date(c.ends_at)) + ")" : "")));
  };
  const loadEarning = async () => renderEarning(await api("/v1/member/earning"));

  const fail = (e) => {
    let msg = e.message;
    if (e.status === 401) msg = T().expired;
    if (e.status === 404) msg = T().notMember;
    const parts = [el("p", { class: "tw-error", role: "alert" }, msg)];
    if (e.status === 0) parts.push(el("button", { type: "button", class: "tw-btn", onclick: () => load() }, T().tryAgain));
    body.replaceChildren(...parts);
  };

  let loading = null;
  const load = () => {
    loading ??= (async () => {
      try {
        if (!sections.balance.isConnected) body.replaceChildren(...Object.values(sections)); // after an error
        sections.rewards.replaceChildren(el("h3", { id: "tw-rewards-h" }, T().rewards), el("p", { class: "tw-muted" }, T().loading));
        // The summary first: it may switch the language the rest is written in.
        renderSummary(await api("/v1/member"));
        await Promise.all([loadRewards(), loadCoupons(), loadHistory(true), loadEarning()]);
      } catch (e) {
        fail(e);
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  const mount = () => {
    document.body.append(host);
    if (!cfg.token) { console.warn("tenure-widget: no data-token on the script tag"); return; }
    api("/v1/member").then(renderSummary, () => { /* shown when the panel opens */ });
  };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.TenureWidget = {
    open, close,
    refresh: () => load(),
    setToken: (t) => { cfg.token = t; return load(); },
  };
})();
