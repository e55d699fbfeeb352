// Trips as they seal: polled every few seconds, each with its stations in Chinese and
// English, its fare and the quote lines that explain it; incomplete journeys are flagged.
// The last list seen is kept for offline use.

import { ApiError, get } from "../api.js";
import { h, when, yuan } from "../dom.js";
import { ruleLabel, t } from "../i18n.js";
import { load, riderId, save } from "../store.js";

const POLL_MS = 3000;

function where(trip, ctx) {
  if (trip.mode === "metro") {
    const from = trip.entry_station ? ctx.nameOf("stations", trip.entry_station) : t("trips.unknownStation");
    const to = trip.exit_station ? ctx.nameOf("stations", trip.exit_station) : t("trips.unknownStation");
    return `${from} → ${to}`;
  }
  if (trip.mode === "bus") return ctx.nameOf("routes", trip.route_id);
  return t("trips.taxi");
}

export function tripCard(trip, ctx) {
  const lines = trip.quote?.lines ?? [];
  return h(
    "li",
    { class: `card trip${trip.incomplete ? " incomplete" : ""}`, "data-event-id": trip.event_id },
    h(
      "div",
      { class: "row" },
      h("span", { class: "mode" }, t(`mode.${trip.mode}`) || trip.mode),
      h("time", { datetime: trip.ended_at ?? trip.started_at ?? "" }, when(trip.ended_at ?? trip.started_at)),
    ),
    h("p", { class: "route" }, where(trip, ctx)),
    trip.incomplete ? h("p", { class: "badge warn" }, t("trips.incomplete")) : null,
    h("p", { class: "fare" }, h("span", { class: "sr" }, t("trips.fare")), yuan(trip.fare_fen)),
    // A trip that cost nothing gets no invoice; say so rather than leave one to look for.
    trip.invoiced === false ? h("p", { class: "badge" }, t("trips.no_invoice")) : null,
    h(
      "ul",
      { class: "quote", "aria-label": t("trips.explain") },
      lines.map((line) =>
        h(
          "li",
          {},
          h("span", {}, ruleLabel(line.rule_id), h("small", { lang: "en" }, line.text)),
          h("span", { class: "amount" }, yuan(line.amount_fen)),
        ),
      ),
    ),
    trip.distance_m ? h("p", { class: "hint" }, t("trips.distance", { km: (trip.distance_m / 1000).toFixed(1) })) : null,
    h(
      "button",
      { onclick: () => ctx.go("verify", `trip:${trip.event_id}`) },
      t("trips.verify"),
    ),
  );
}

export async function render(main, ctx) {
  const list = h("ul", { class: "list", "aria-live": "polite", "aria-label": t("tab.trips") });
  const note = h("p", { class: "hint" });
  main.append(h("h2", { class: "screen-title" }, t("trips.title")), note, list);
  let seen = null;
  const paint = (trips) => {
    list.replaceChildren(...trips.map((trip) => tripCard(trip, ctx)));
    if (trips.length === 0) list.append(h("li", { class: "empty" }, t("trips.none")));
  };
  const showKept = async () => {
    const kept = await load("trips");
    if (kept?.riderId === riderId()) {
      note.textContent = t("trips.offline", { time: when(kept.at, { seconds: true }) });
      if (seen === null) paint(kept.trips);
    }
  };
  const refresh = async () => {
    if (!navigator.onLine) return showKept();
    let trips;
    try {
      trips = await get("/v1/me/trips?limit=50");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 0)) throw error;
      return showKept();
    }
    note.textContent = t("trips.live");
    await save("trips", { riderId: riderId(), trips, at: Date.now() });
    const ids = trips.map((trip) => trip.event_id).join(",");
    if (seen !== null && ids !== seen && trips[0]) {
      ctx.say(t("trips.sealed", { fare: yuan(trips[0].fare_fen) }));
    }
    if (ids !== seen) paint(trips);
    seen = ids;
  };
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), POLL_MS);
  return () => clearInterval(timer);
}
