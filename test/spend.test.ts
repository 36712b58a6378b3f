// src/spend.ts at pinned instants: the 1st at 00:01 and 23:59 UTC, mid-month, the last hour
// of a month, a leap day, and a Latitude.sh period that starts mid-month.
import { describe, expect, it } from "vitest";
import { percentChange, projectLinear, viamPeriod } from "../src/spend.js";
import { sandboxPeriod } from "../src/sandbox/latitude-data.js";

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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

describe("projectLinear", () => {
  const december = { start: at("2026-12-01T00:00:00Z"), end: at("2027-01-01T00:00:00Z") };

  it("the first minute counts as one day, not one minute (no projection to millions)", () => {
    const p = projectLinear(31, december, at("2026-12-01T00:01:00Z"))!;
    expect(p.elapsedShare).toBeCloseTo(1 / 31, 10);
    expect(p.projected).toBeCloseTo(961, 6);
  });

  it("the 1st at 23:59 is still one day", () => {
    expect(projectLinear(31, december, at("2026-12-01T23:59:00Z"))!.elapsedShare).toBeCloseTo(1 / 31, 10);
  });

  it("mid-month doubles month-to-date", () => {
    const p = projectLinear(100, december, at("2026-12-16T12:00:00Z"))!;
    expect(p.elapsedShare).toBeCloseTo(0.5, 10);
    expect(p.projected).toBeCloseTo(200, 6);
  });

  it("in the last hour the projection is month-to-date plus one hour's worth", () => {
    const p = projectLinear(744, december, at("2026-12-31T23:00:00Z"))!;
    expect(p.projected).toBeCloseTo(744 * (744 / 743), 6);
  });

  it("a leap February has 29 days", () => {
    const february = viamPeriod(undefined, undefined, at("2028-02-29T12:00:00Z"));
    const p = projectLinear(28.5, february, at("2028-02-29T12:00:00Z"))!;
    expect(p.elapsedShare).toBeCloseTo(28.5 / 29, 10);
    expect(p.projected).toBeCloseTo(29, 6);
  });

  it("a Latitude.sh period that starts mid-month, just before and just after it starts", () => {
    const before = sandboxPeriod(at("2027-01-05T15:50:00Z"));
    expect([before.start, before.end]).toEqual([at("2026-12-05T15:56:32Z"), at("2027-01-05T15:56:32Z")]);
    expect(projectLinear(100, before, at("2027-01-05T15:50:00Z"))!.projected).toBeCloseTo(100 * (before.end.getTime() - before.start.getTime()) / (before.end.getTime() - before.start.getTime() - 6 * 60_000 - 32_000), 6);
    const after = sandboxPeriod(at("2027-01-05T16:00:00Z"));
    expect([after.start, after.end]).toEqual([at("2027-01-05T15:56:32Z"), at("2027-02-05T15:56:32Z")]);
    expect(projectLinear(1, after, at("2027-01-05T16:00:00Z"))!.elapsedShare).toBeCloseTo(DAY / (31 * DAY), 10);
  });

  it("an empty period has no projection", () => {
    expect(projectLinear(1, { start: december.start, end: december.start }, december.start)).toBeNull();
  });
});

it("percentChange: one decimal, null against zero", () => {
  expect(percentChange(200, 250)).toBe(25);
  expect(percentChange(3, 1)).toBe(-66.7);
  expect(percentChange(0, 5)).toBeNull();
});
