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
 * data-locale (default: the page's lang), data-position ("left" or "right"), data-title.
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
    title: data.title || "Rewards",
  };

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
  const df = new Intl.DateTimeFormat(cfg.locale, { dateStyle: "medium" });
  const points = (n) => nf.format(n) + (Math.abs(n) === 1 ? " point" : " points");
  const date = (s) => df.format(new Date(s));
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
      throw new APIError(0, "Rewards are unavailable right now. Please try again later.");
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
    el("span", { class: "tw-star", "aria-hidden": "true" }, "★"), el("span", {}, cfg.title), badge);
  const heading = el("h2", { id: "tw-title", tabindex: "-1" }, cfg.title);
  const closeBtn = el("button", { type: "button", class: "tw-close", "aria-label": "Close " + cfg.title }, "×");
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
  const sections = {
    balance: el("section", { class: "tw-card tw-balance", "aria-label": "Your points" }),
    tier: el("section", { class: "tw-card tw-tier", "aria-labelledby": "tw-tier-h", hidden: true }),
    rewards: el("section", { class: "tw-section", "aria-labelledby": "tw-rewards-h" }),
    coupons: el("section", { class: "tw-section", "aria-labelledby": "tw-coupons-h", hidden: true }),
    history: el("section", { class: "tw-section", "aria-labelledby": "tw-history-h" }),
    referral: el("section", { class: "tw-section", "aria-labelledby": "tw-referral-h" }),
  };
  const result = el("div", { class: "tw-result", hidden: true });
  body.append(...Object.values(sections));

  const renderSummary = (s) => {
    state.summary = s;
    badge.textContent = nf.format(s.points.available) + " pts";
    badge.hidden = false;
    const lines = [];
    if (s.points.pending > 0) lines.push(el("li", {}, points(s.points.pending) + " pending"));
    if (s.points.expiring) lines.push(el("li", { class: "tw-expiring" }, points(s.points.expiring.amount) + " expire on " + date(s.points.expiring.at)));
    if (s.credit > 0) lines.push(el("li", {}, money(s.credit, s.program.currency) + " store credit"));
    sections.balance.replaceChildren(
      el("p", { class: "tw-hello" }, s.first_name ? "Hi " + s.first_name + ", you have" : "You have"),
      el("p", { class: "tw-points" }, el("span", { class: "tw-points-num", "data-tw": "available" }, nf.format(s.points.available)), " points"),
      lines.length ? el("ul", { class: "tw-facts" }, lines) : null);
    const t = s.tier;
    sections.tier.hidden = !t;
    if (t) {
      sections.tier.replaceChildren(
        el("h3", { id: "tw-tier-h" }, "Tier: ", el("strong", {}, t.name || "—")),
        el("div", { class: "tw-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(t.percent),
          "aria-label": t.next ? "Progress to " + t.next.name : "Top tier reached" }, el("span", { style: "width:" + t.percent + "%" })),
        el("p", { class: "tw-muted" }, t.progress || (t.next ? "" : "You have reached the top tier.")));
    }
    sections.referral.replaceChildren(el("h3", { id: "tw-referral-h" }, "Refer a friend"),
      cfg.referralUrl
        ? el("div", { class: "tw-copyrow" }, el("input", { class: "tw-input", readonly: true, value: cfg.referralUrl, "aria-label": "Your referral link" }),
            copyButton(cfg.referralUrl, "Copy link"))
        : el("p", { class: "tw-muted" }, s.referral.message));
  };

  const describeReward = (r) => {
    switch (r.type) {
      case "percent_discount": return r.percent + "% off your order";
      case "fixed_discount": return money(r.value, r.currency) + " off your order";
      case "free_shipping": return "Free shipping";
      case "free_product": return "A free product";
      case "store_credit": return money(r.value, r.currency) + " store credit";
      case "points_discount": return money(r.value, r.currency) + " off for every " + points(r.cost);
      default: return "";
    }
  };

  const renderRewards = (list) => {
    const items = list.map((r) => {
      const action = el("div", { class: "tw-action" });
      const li = el("li", { class: "tw-reward" + (r.available ? "" : " tw-locked") },
        el("div", { class: "tw-reward-main" },
          el("p", { class: "tw-reward-name" }, r.name),
          el("p", { class: "tw-muted" }, [describeReward(r), r.min_order ? "on orders from " + money(r.min_order, r.currency) : ""].filter(Boolean).join(" ")),
          r.description ? el("p", { class: "tw-muted" }, r.description) : null),
        el("p", { class: "tw-cost" }, points(r.cost)), action);
      const reset = () => action.replaceChildren(r.available
        ? el("button", { type: "button", class: "tw-btn", "aria-label": "Redeem " + r.name + " for " + points(r.cost), onclick: () => confirm(r, action, reset) }, "Redeem")
        : el("p", { class: "tw-why" }, r.message || "Not available"));
      reset();
      return li;
    });
    sections.rewards.replaceChildren(el("h3", { id: "tw-rewards-h" }, "Rewards"), result,
      items.length ? el("ul", { class: "tw-list" }, items) : el("p", { class: "tw-muted" }, "No rewards to show yet."));
  };

  const confirm = (r, action, reset) => {
    const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
    const yes = el("button", { type: "button", class: "tw-btn", onclick: () => redeem(r, key, yes, action, reset) }, "Confirm");
    const no = el("button", { type: "button", class: "tw-btn tw-btn-quiet", onclick: () => { reset(); action.querySelector("button")?.focus(); } }, "Cancel");
    action.replaceChildren(el("div", { class: "tw-confirm", role: "group", "aria-label": "Confirm redemption" },
      el("p", {}, "Spend " + points(r.cost) + " on " + r.name + "?"), el("div", { class: "tw-row" }, yes, no)));
    yes.focus();
  };

  const redeem = async (r, key, yes, action, reset) => {
    yes.disabled = true;
    yes.textContent = "Redeeming…";
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
      el("h4", { tabindex: "-1" }, "Your code for " + c.reward_name),
      el("div", { class: "tw-copyrow" }, el("code", { class: "tw-code", "data-tw": "code" }, c.code), copyButton(c.code, "Copy code")),
      el("p", { class: "tw-muted" }, [c.valid_until ? "Valid until " + date(c.valid_until) + "." : "",
        c.min_order ? "For orders from " + money(c.min_order, c.currency) + "." : "", "Enter it at checkout."].filter(Boolean).join(" ")));
    announce("Your code " + c.code + " is ready.");
  };

  function copyButton(text, label) {
    const b = el("button", { type: "button", class: "tw-btn tw-btn-quiet" }, label);
    b.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text);
        b.textContent = "Copied";
        announce("Copied to the clipboard.");
      } catch {
        const sel = b.previousElementSibling;
        if (sel && sel.select) sel.select();
        else if (sel) window.getSelection().selectAllChildren(sel);
        announce("Press Ctrl+C or Cmd+C to copy.");
      }
      setTimeout(() => { b.textContent = label; }, 2000);
    });
    return b;
  }

  const renderCoupons = (list) => {
    const issued = list.filter((c) => c.state === "issued");
    sections.coupons.hidden = issued.length === 0;
    sections.coupons.replaceChildren(el("h3", { id: "tw-coupons-h" }, "Your coupons"),
      el("ul", { class: "tw-list" }, issued.map((c) => el("li", { class: "tw-coupon" },
        el("p", { class: "tw-reward-name" }, c.reward_name),
        el("div", { class: "tw-copyrow" }, el("code", { class: "tw-code" }, c.code), copyButton(c.code, "Copy")),
        c.valid_until ? el("p", { class: "tw-muted" }, "Valid until " + date(c.valid_until)) : null))));
  };

  const historyList = el("ul", { class: "tw-list tw-history" });
  const more = el("button", { type: "button", class: "tw-btn tw-btn-quiet", hidden: true, onclick: () => loadHistory(false) }, "Show more");
  sections.history.append(el("h3", { id: "tw-history-h" }, "History"), historyList, more);
  const renderHistory = (page, fresh) => {
    if (fresh) historyList.replaceChildren();
    historyList.append(...page.data.map((h) => el("li", { class: "tw-entry" },
      el("div", {}, el("p", { class: "tw-reward-name" }, h.title), h.detail ? el("p", { class: "tw-muted" }, h.detail) : null,
        el("p", { class: "tw-muted" }, date(h.at) + (h.pending ? " · pending" : ""))),
      el("p", { class: "tw-amount " + (h.points < 0 ? "tw-minus" : "tw-plus") }, (h.points > 0 ? "+" : "") + nf.format(h.points)))));
    if (fresh && page.data.length === 0) historyList.append(el("li", { class: "tw-muted" }, "Nothing yet."));
    state.historyCursor = page.next_cursor || "";
    more.hidden = !state.historyCursor;
  };

  // ---- loading -------------------------------------------------------------------------

  const loadRewards = async () => renderRewards((await api("/v1/member/rewards")).data);
  const loadCoupons = async () => renderCoupons((await api("/v1/member/coupons?state=issued&limit=20")).data);
  const loadHistory = async (fresh) => {
    const cursor = fresh || !state.historyCursor ? "" : "&cursor=" + encodeURIComponent(state.historyCursor);
    renderHistory(await api("/v1/member/history?limit=20" + cursor), fresh);
  };

  const fail = (e) => {
    let msg = e.message;
    if (e.status === 401) msg = "Your session has expired. Reload the page to see your points.";
    if (e.status === 404) msg = "You are not a member yet: your first order starts your points.";
    const parts = [el("p", { class: "tw-error", role: "alert" }, msg)];
    if (e.status === 0) parts.push(el("button", { type: "button", class: "tw-btn", onclick: () => load() }, "Try again"));
    body.replaceChildren(...parts);
  };

  let loading = null;
  const load = () => {
    loading ??= (async () => {
      try {
        if (!sections.balance.isConnected) body.replaceChildren(...Object.values(sections)); // after an error
        sections.rewards.replaceChildren(el("h3", { id: "tw-rewards-h" }, "Rewards"), el("p", { class: "tw-muted" }, "Loading…"));
        const [s] = await Promise.all([api("/v1/member"), loadRewards(), loadCoupons(), loadHistory(true)]);
        renderSummary(s);
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
