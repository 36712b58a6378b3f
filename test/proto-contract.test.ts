// The Viam contract is generated, not written: these fail when a vendored proto was edited
// without its header, when src/viam/gen/ is stale or edited by hand, and when a generated
// message or RPC differs from the proto buf parses (field numbers, types, labels).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { proto3, ScalarType } from "@bufbuild/protobuf";
import type { EnumType, FieldInfo, MessageType, ServiceType } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import * as billing from "../src/viam/gen/app/v1/billing_pb.js";
import * as auth from "../src/viam/gen/proto/rpc/v1/auth_pb.js";
import { BillingService } from "../src/viam/gen/app/v1/billing_connect.js";
import { AuthService, ExternalAuthService } from "../src/viam/gen/proto/rpc/v1/auth_connect.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const buf = join(root, "node_modules/.bin/buf");
const HEADER_END = /^\/\/ -{20,}\n/m;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("the vendored protos", () => {
  const vendored = filesUnder(join(root, "proto")).filter((f) => f.endsWith(".proto"));

  it.each(vendored)("%s is the upstream file its header names", (file) => {
    const text = readFileSync(join(root, "proto", file), "utf8");
    const end = HEADER_END.exec(text);
    expect(end, "a header ending in a line of dashes").not.toBeNull();
    const header = text.slice(0, end!.index);
    const body = Buffer.from(text.slice(end!.index + end![0].length));
    const field = (name: string) => new RegExp(`^// ${name}: (\\S+)$`, "m").exec(header)?.[1];
    expect(field("commit")).toMatch(/^[0-9a-f]{40}$/);
    expect(field("path")).toMatch(/\.proto$/);
    // `git rev-parse COMMIT:PATH` in the upstream repository prints this blob id.
    const blob = createHash("sha1").update(`blob ${body.byteLength}\0`).update(body).digest("hex");
    expect(field("git blob")).toBe(blob);
    expect(field("sha256")).toBe(createHash("sha256").update(body).digest("hex"));
  });
});

describe("src/viam/gen", () => {
  it("is exactly what `npm run proto` generates from proto/", () => {
    const out = mkdtempSync(join(tmpdir(), "billing-mcp-proto-"));
    try {
      execFileSync(buf, ["generate", "--output", out], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
      const fresh = join(out, "src/viam/gen");
      const committed = join(root, "src/viam/gen");
      expect(filesUnder(committed)).toEqual(filesUnder(fresh));
      for (const file of filesUnder(fresh)) {
        expect(readFileSync(join(committed, file), "utf8"), `${file} differs from a fresh generation: run npm run proto`).toBe(readFileSync(join(fresh, file), "utf8"));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// The proto as buf parses it (FileDescriptorSet in protobuf's JSON form).
interface FieldProto { name: string; number: number; label: string; type: string; typeName?: string; proto3Optional?: boolean }
interface FileProto {
  name: string;
  messageType?: { name: string; field?: FieldProto[] }[];
  enumType?: { name: string; value: { name: string; number: number }[] }[];
  service?: { name: string; method: { name: string; inputType: string; outputType: string; serverStreaming?: boolean }[] }[];
}
function parsed(path: string): FileProto {
  const json = execFileSync(buf, ["build", "--path", path, "--exclude-imports", "-o", "-#format=json"], { cwd: root, encoding: "utf8" });
  const files = (JSON.parse(json) as { file: FileProto[] }).file;
  expect(files).toHaveLength(1);
  return files[0]!;
}

/** A field as the proto says it, and as the generated code says it, in the same words. */
const fromProto = (f: FieldProto) => ({
  no: f.number,
  name: f.name,
  type: f.typeName ?? f.type,
  repeated: f.label === "LABEL_REPEATED",
  optional: f.proto3Optional === true,
});
const fromGenerated = (f: FieldInfo) => ({
  no: f.no,
  name: f.name,
  type: f.kind === "scalar" ? `TYPE_${ScalarType[f.T]}` : f.kind === "map" ? "map" : `.${f.T.typeName}`,
  repeated: f.repeated,
  optional: f.opt,
});

function compare(file: FileProto, pkg: string, generated: Record<string, unknown>, services: ServiceType[]) {
  const messages = file.messageType ?? [];
  for (const m of messages) {
    const type = generated[m.name] as MessageType | undefined;
    expect(type?.typeName, m.name).toBe(`${pkg}.${m.name}`);
    expect(type!.fields.list().map(fromGenerated), m.name).toEqual((m.field ?? []).map(fromProto));
  }
  for (const e of file.enumType ?? []) {
    const type: EnumType = proto3.getEnumType(generated[e.name] as Parameters<typeof proto3.getEnumType>[0]);
    expect(type.typeName).toBe(`${pkg}.${e.name}`);
    expect(type.values.map((v) => ({ name: v.name, number: v.no }))).toEqual(e.value.map((v) => ({ name: v.name, number: v.number })));
  }
  for (const s of file.service ?? []) {
    const service = services.find((x) => x.typeName === `${pkg}.${s.name}`);
    expect(service, s.name).toBeDefined();
    const methods = Object.values(service!.methods).map((m) => ({ name: m.name, in: `.${m.I.typeName}`, out: `.${m.O.typeName}`, streaming: m.kind === 1 }));
    expect(methods).toEqual(s.method.map((m) => ({ name: m.name, in: m.inputType, out: m.outputType, streaming: m.serverStreaming === true })));
  }
  return {
    rpcs: (file.service ?? []).reduce((n, s) => n + s.method.length, 0),
    fields: messages.reduce((n, m) => n + (m.field?.length ?? 0), 0),
    enums: file.enumType?.length ?? 0,
  };
}

describe("the generated code agrees with the proto, field by field", () => {
  it("viam.app.v1 BillingService: 11 RPCs, 76 fields, 3 enums (viamrobotics/api as of 2026-07-21)", () => {
    const counts = compare(parsed("proto/viam/app/v1/billing.proto"), "viam.app.v1", billing, [BillingService]);
    expect(counts).toEqual({ rpcs: 11, fields: 76, enums: 3 });
  });

  it("proto.rpc.v1 AuthService (the API-key login) and ExternalAuthService", () => {
    const counts = compare(parsed("proto/goutils/proto/rpc/v1/auth.proto"), "proto.rpc.v1", auth, [AuthService, ExternalAuthService]);
    expect(counts).toEqual({ rpcs: 2, fields: 7, enums: 0 });
  });

  it("a wrong field number would be caught", () => {
    const file = parsed("proto/viam/app/v1/billing.proto");
    const invoice = file.messageType!.find((m) => m.name === "InvoiceSummary")!;
    invoice.field![6]!.number = 9;
    expect(() => compare(file, "viam.app.v1", billing, [BillingService])).toThrow();
  });
});
