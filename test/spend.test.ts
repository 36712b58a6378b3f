// src/billing/spend.ts at pinned instants: the 1st at 00:01 and 23:59 UTC, mid-month, the last hour
// of a month, a leap day, and a Latitude.sh period that starts mid-month. Expectations are
// worked out by hand from the method the answer states, not by calling the code under test.
import { describe, expect, it } from "vitest";
import { addMonths, invoicedPerPeriod, percentChange, previousPeriods, projectMonthEnd, viamPeriod } from "../src/billing/spend.js";
import { sandboxPeriod } from "../src/sandbox/latitude-data.js";

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const december = { start: at("2026-12-01T00:00:00Z"), end: at("2027-01-01T00:00:00Z") };
const DECEMBER_MS = 31 * DAY;

describe("viamPeriod: the calendar month of now unless Viam reports one", () => {
  it.each([
    ["2026-12-01T00:01:00Z", "2026-12-01", "2027-01-01"],
    ["2026-12-01T23:59:00Z", "2026-12-01", "2027-01-01"],
    ["2026-12-15T12:00:00Z", "2026-12-01", "2027-01-01"],
    ["2026-12-31T23:30:00Z", "2026-12-01", "2027-01-01"],
    ["2028-02-29T12:00:00Z", "2028-02-01", "2028-03-01"],
  ])("%s is in %s to %s", (now, start, end) => {
    const period = viamPeriod(undefined, undefined, at(now));
    expect([period.start.toISOString().slice(0, 10), period.end.toISOString().slice(0, 10)]).toEqual([start, end]);
  });

  it("takes the period Viam reports", () => {
    const period = viamPeriod(at("2026-11-20T00:00:00Z"), at("2026-12-20T00:00:00Z"), at("2026-12-01T00:01:00Z"));
    expect(period).toEqual({ start: at("2026-11-20T00:00:00Z"), end: at("2026-12-20T00:00:00Z") });
  });
});

describe("projectMonthEnd with history", () => {
  const steady = [400, 420, 380]; // average 400, low 380, high 420

  it("the 1st at 00:01: one minute in, the projection is the history (no extrapolation of one minute or one day)", () => {
    const share = MINUTE / DECEMBER_MS;
    const mtd = 0.01;
    const p = projectMonthEnd(mtd, december, at("2026-12-01T00:01:00Z"), steady)!;
    expect(p.basis).toBe("history and month-to-date");
    expect(p.elapsedShare).toBeCloseTo(share, 12);
    // mtd + (1-s)(mtd + (1-s)·400)
    expect(p.projected).toBeCloseTo(mtd + (1 - share) * (mtd + (1 - share) * 400), 9);
    expect(p.projected! / 400).toBeCloseTo(1, 3);
    expect([p.low! / 380, p.high! / 420].map((r) => Math.round(r * 1000) / 1000)).toEqual([1, 1]);
  });

  it("a big charge in the first minute adds about twice itself, not 44,640 times", () => {
    const p = projectMonthEnd(250, december, at("2026-12-01T00:01:00Z"), steady)!;
    expect(p.projected!).toBeGreaterThan(650);
    expect(p.projected!).toBeLessThan(901);
  });

  it("the 1st at 23:59, steady spend: the projection stays at the history's average", () => {
    const share = (DAY - MINUTE) / DECEMBER_MS;
    const p = projectMonthEnd(400 * share, december, at("2026-12-01T23:59:00Z"), steady)!;
    expect(p.projected).toBeCloseTo(400, 6);
  });

  it("mid-month, steady: 400; spend doubled: 1.75 x, the month-to-date showing through", () => {
    const now = at("2026-12-16T12:00:00Z"); // exactly half of December
    expect(projectMonthEnd(200, december, now, steady)!.projected).toBeCloseTo(400, 6);
    // 400 + 0.5 (400 + 0.5 x 400) = 700
    expect(projectMonthEnd(400, december, now, steady)!.projected).toBeCloseTo(700, 6);
  });

  it("by the 20th a doubled spend shows as more than +75%", () => {
    const now = at("2026-12-20T00:00:00Z");
    const share = (19 * DAY) / DECEMBER_MS;
    const p = projectMonthEnd(800 * share, december, now, steady)!;
    expect(percentChange(400, p.projected!)!).toBeGreaterThan(75);
  });

  it("the last hour: month-to-date plus about an hour's worth", () => {
    const share = (DECEMBER_MS - HOUR) / DECEMBER_MS;
    const p = projectMonthEnd(400 * share, december, at("2026-12-31T23:00:00Z"), steady)!;
    expect(p.projected).toBeCloseTo(400, 6);
    expect(p.high! - p.low!).toBeLessThan(0.01);
  });

  it("a leap February: 29 days, and its previous periods are January, December, November", () => {
    const february = viamPeriod(undefined, undefined, at("2028-02-29T12:00:00Z"));
    expect(february.end.getTime() - february.start.getTime()).toBe(29 * DAY);
    const p = projectMonthEnd(0, february, at("2028-02-29T12:00:00Z"), [100])!;
    expect(p.elapsedShare).toBeCloseTo(28.5 / 29, 12);
    expect(previousPeriods(february).map((q) => q.start.toISOString().slice(0, 7))).toEqual(["2028-01", "2027-12", "2027-11"]);
  });
});

describe("projectMonthEnd without history", () => {
  it("little of the period passed: not meaningful yet, no figure", () => {
    expect(projectMonthEnd(500, december, at("2026-12-01T00:01:00Z"), [])).toMatchObject({ basis: "not meaningful yet", projected: null, low: null, high: null });
    expect(projectMonthEnd(500, december, at("2026-12-06T00:00:00Z"), [])!.projected).toBeNull();
  });

  it("later: the rate so far, with a ±30% range on the rest", () => {
    const p = projectMonthEnd(100, december, at("2026-12-16T12:00:00Z"), [])!;
    expect(p).toMatchObject({ basis: "month-to-date only" });
    expect([p.projected, p.low, p.high].map((n) => Math.round(n! * 100) / 100)).toEqual([200, 170, 230]);
  });

  it("a Latitude.sh period that starts mid-month: just before it ends, and just after it starts", () => {
    const before = sandboxPeriod(at("2027-01-05T15:50:00Z"));
    expect([before.start, before.end]).toEqual([at("2026-12-05T15:56:32Z"), at("2027-01-05T15:56:32Z")]);
    const length = before.end.getTime() - before.start.getTime();
    const share = (length - 6 * MINUTE - 32_000) / length;
    expect(projectMonthEnd(100, before, at("2027-01-05T15:50:00Z"), [])!.projected).toBeCloseTo(100 / share, 6);
    const after = sandboxPeriod(at("2027-01-05T16:00:00Z"));
    expect([after.start, after.end]).toEqual([at("2027-01-05T15:56:32Z"), at("2027-02-05T15:56:32Z")]);
    expect(projectMonthEnd(3, after, at("2027-01-05T16:00:00Z"), [])!.basis).toBe("not meaningful yet");
  });

  it("an empty period has no projection", () => {
    expect(projectMonthEnd(1, { start: december.start, end: december.start }, december.start, [])).toBeNull();
  });
});

describe("history from invoices", () => {
  it("every invoice dated in a period counts (weekly billing whole); periods before the first invoice are not history", () => {
    const weekly = [0, 7, 14, 21, 28].map((d) => ({ date: new Date(at("2026-11-01T00:00:00Z").getTime() + d * DAY), amount: 10 }));
    const periods = previousPeriods(december);
    expect(periods.map((p) => p.start.toISOString().slice(0, 10))).toEqual(["2026-11-01", "2026-10-01", "2026-09-01"]);
    expect(invoicedPerPeriod(weekly, periods)).toEqual([50]);
    expect(invoicedPerPeriod([...weekly, { date: at("2026-09-03T00:00:00Z"), amount: 7 }], periods)).toEqual([50, 0, 7]);
    expect(invoicedPerPeriod([], periods)).toEqual([]);
  });

  it("addMonths keeps the day and time, or the month's last day", () => {
    expect(addMonths(at("2027-01-05T15:56:32Z"), -1)).toEqual(at("2026-12-05T15:56:32Z"));
    expect(addMonths(at("2026-03-31T00:00:00Z"), -1)).toEqual(at("2026-02-28T00:00:00Z"));
    expect(addMonths(at("2028-03-29T00:00:00Z"), -1)).toEqual(at("2028-02-29T00:00:00Z"));
  });
});

it("percentChange: one decimal, null against zero", () => {
  expect(percentChange(200, 250)).toBe(25);
  expect(percentChange(3, 1)).toBe(-66.7);
  expect(percentChange(0, 5)).toBeNull();
});
