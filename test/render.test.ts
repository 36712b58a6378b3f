import { Timestamp } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { cents, isoDate, isoDateTime, money, usd } from "../src/billing/render.js";

describe("rendering", () => {
  it("renders money in USD with two decimals", () => {
    expect(usd(1234.5)).toBe("1234.50 USD");
    expect(usd(0)).toBe("0.00 USD");
    expect(money(0.1 + 0.2)).toBe("0.30");
    expect(cents(0.1 + 0.2)).toBe(0.3);
    expect(cents(19.999)).toBe(20);
  });

  it("renders timestamps as ISO dates, unset as null", () => {
    const ts = Timestamp.fromDate(new Date("2026-10-31T23:59:59.900Z"));
    expect(isoDate(ts)).toBe("2026-10-31");
    expect(isoDateTime(ts)).toBe("2026-10-31T23:59:59Z");
    expect(isoDate(undefined)).toBeNull();
    expect(isoDate(new Timestamp())).toBeNull();
  });
});
