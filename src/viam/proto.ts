// The current viam.app.v1 BillingService contract, written out with protobuf-es v1 so that
// every field and RPC of the proto travels, including those the npm SDK's generated code
// lacks (GetLocationBillingOrganization, UpdateLocationBillingOrganization,
// ChargeOrganization, InvoiceSummary fields 7-8, newer enum values).
// Field numbers follow proto/viam/app/v1/billing.proto (viamrobotics/api, July 2026).
import { MethodKind, proto3, Timestamp } from "@bufbuild/protobuf";
import type { AnyMessage, MessageType } from "@bufbuild/protobuf";

type FieldListSource = Parameters<typeof proto3.makeMessageType>[1];

/** A nested message's fields (camelCase, as protobuf-es v1 names them). */
export type Msg<F> = F;
/** A message type whose instances carry the fields F; the phantom keeps F for typed calls. */
export interface MsgType<F> extends MessageType<AnyMessage> {
  readonly __fields?: F;
}

function message<F>(typeName: string, fields: FieldListSource): MsgType<F> {
  return proto3.makeMessageType(typeName, fields) as MsgType<F>;
}

const STRING = 9 as const;
const DOUBLE = 1 as const;
const BOOL = 8 as const;
const INT64 = 3 as const;
const BYTES = 12 as const;

// ---- enums ----
export const SourceType = proto3.makeEnum("viam.app.v1.SourceType", [
  { no: 0, name: "SOURCE_TYPE_UNSPECIFIED" },
  { no: 1, name: "SOURCE_TYPE_ORG" },
  { no: 2, name: "SOURCE_TYPE_FRAGMENT" },
]);

const usageCostTypeNames = [
  "UNSPECIFIED", "DATA_UPLOAD", "DATA_EGRESS", "REMOTE_CONTROL", "STANDARD_COMPUTE", "CLOUD_STORAGE",
  "BINARY_DATA_CLOUD_STORAGE", "OTHER_CLOUD_STORAGE", "PER_MACHINE", "TRIGGER_NOTIFICATION",
  "TABULAR_DATA_CLOUD_STORAGE", "CONFIG_HISTORY_CLOUD_STORAGE", "LOGS_CLOUD_STORAGE",
  "TRAINING_LOGS_CLOUD_STORAGE", "PACKAGES_CLOUD_STORAGE", "BINARY_DATA_UPLOAD", "TABULAR_DATA_UPLOAD",
  "LOGS_UPLOAD", "BINARY_DATA_EGRESS", "TABULAR_DATA_EGRESS", "LOGS_EGRESS", "TRAINING_LOGS_EGRESS",
  "TABULAR_DATA_DATABASE_CLOUD_STORAGE", "TABULAR_DATA_DATABASE_COMPUTE", "BINARY_DATA_CROSS_REGION_EGRESS",
  "PIPELINE_SINK_CLOUD_STORAGE", "PIPELINE_SINK_COMPUTE", "PREMIUM_MODULE",
] as const;
export const UsageCostType = proto3.makeEnum(
  "viam.app.v1.UsageCostType",
  usageCostTypeNames.map((name, no) => ({ no, name: `USAGE_COST_TYPE_${name}` })),
);

export const PaymentMethodType = proto3.makeEnum("viam.app.v1.PaymentMethodType", [
  { no: 0, name: "PAYMENT_METHOD_TYPE_UNSPECIFIED" },
  { no: 1, name: "PAYMENT_METHOD_TYPE_CARD" },
  { no: 2, name: "PAYMENT_METHOD_TYPE_USBANKACCOUNT" },
]);

/** snake_case name of an enum value without its type prefix; a value from a newer server stays visible as unrecognised_N. */
export function enumValueName(enumObject: object, prefix: string, value: number): string {
  const info = proto3.getEnumType(enumObject as Parameters<typeof proto3.getEnumType>[0]).findNumber(value);
  if (!info) return `unrecognised_${value}`;
  return info.name.replace(prefix, "").toLowerCase();
}

export const usageCostTypeName = (v: number) => enumValueName(UsageCostType, "USAGE_COST_TYPE_", v);
export const sourceTypeName = (v: number) => enumValueName(SourceType, "SOURCE_TYPE_", v);
export const paymentMethodTypeName = (v: number) => enumValueName(PaymentMethodType, "PAYMENT_METHOD_TYPE_", v);

// ---- field shapes ----
export interface UsageCostF { resourceType: number; cost: number }
export interface ResourceUsageCostsF {
  usageCosts: Msg<UsageCostF>[];
  discount: number;
  totalWithDiscount: number;
  totalWithoutDiscount: number;
}
export interface ResourceUsageCostsBySourceF {
  sourceType: number;
  resourceUsageCosts?: Msg<ResourceUsageCostsF>;
  tierName: string;
}
export interface GetCurrentMonthUsageResponseF {
  startDate?: Timestamp;
  endDate?: Timestamp;
  cloudStorageUsageCost: number;
  dataUploadUsageCost: number;
  dataEgresUsageCost: number;
  remoteControlUsageCost: number;
  standardComputeUsageCost: number;
  discountAmount: number;
  totalUsageWithDiscount: number;
  totalUsageWithoutDiscount: number;
  perMachineUsageCost: number;
  binaryDataCloudStorageUsageCost: number;
  otherCloudStorageUsageCost: number;
  resourceUsageCostsBySource: Msg<ResourceUsageCostsBySourceF>[];
  subtotal: number;
}
export interface PaymentMethodCardF { brand: string; lastFourDigits: string }
export interface VerificationInfoF { arrivalDate: bigint; hostedVerificationPageUrl: string }
export interface PaymentMethodUSBankAccountF {
  bankName: string;
  lastFourDigitsAccountNumber: string;
  routingNumber: string;
  accountType: string;
  verificationInfo?: Msg<VerificationInfoF>;
}
export interface GetOrgBillingInformationResponseF {
  type: number;
  billingEmail: string;
  method?: Msg<PaymentMethodCardF>;
  billingTier?: string;
  methodUsBankAccount?: Msg<PaymentMethodUSBankAccountF>;
}
export interface InvoiceSummaryF {
  id: string;
  invoiceDate?: Timestamp;
  invoiceAmount: number;
  status: string;
  dueDate?: Timestamp;
  paidDate?: Timestamp;
  lastPaymentFailureReason: string;
  lastPaymentFailureAt?: Timestamp;
}
export interface GetInvoicesSummaryResponseF { outstandingBalance: number; invoices: Msg<InvoiceSummaryF>[] }
export interface OrgIdF { orgId: string }
export interface GetInvoicePdfRequestF { id: string; orgId: string }
export interface GetInvoicePdfResponseF { chunk: Uint8Array }
export interface GetAvailableBillingTiersResponseF { tiers: string[] }
export interface LocationIdF { locationId: string }
export interface BillingOrganizationIdF { billingOrganizationId: string }
export interface SendPaymentRequiredEmailRequestF { customerOrgId: string; billingOwnerOrgId: string }
export interface UpdateOrganizationBillingTierRequestF { organizationId: string; billingTier: string }
export interface UpdateLocationBillingOrganizationRequestF { locationId: string; billingOrganizationId: string }
export interface ChargeOrganizationRequestF {
  orgIdToCharge: string;
  description?: string;
  subtotal: number;
  tax: number;
  orgIdForBranding?: string;
  disableConfirmationEmail: boolean;
}
export interface CreateInvoiceAndChargeImmediatelyRequestF {
  orgIdToCharge: string;
  amount: number;
  description?: string;
  orgIdForBranding?: string;
  disableEmail: boolean;
}
export interface InvoiceIdF { invoiceId: string }
export type EmptyF = Record<never, never>;

// ---- messages ----
const P = "viam.app.v1.";
const stringField = (no: number, name: string) => ({ no, name, kind: "scalar", T: STRING }) as const;
const optionalStringField = (no: number, name: string) => ({ no, name, kind: "scalar", T: STRING, opt: true }) as const;
const doubleField = (no: number, name: string) => ({ no, name, kind: "scalar" as const, T: DOUBLE });
const timestampField = (no: number, name: string) => ({ no, name, kind: "message" as const, T: Timestamp });

export const UsageCost = message<UsageCostF>(P + "UsageCost", () => [
  { no: 1, name: "resource_type", kind: "enum", T: proto3.getEnumType(UsageCostType) },
  doubleField(2, "cost"),
]);
export const ResourceUsageCosts = message<ResourceUsageCostsF>(P + "ResourceUsageCosts", () => [
  { no: 1, name: "usage_costs", kind: "message", T: UsageCost, repeated: true },
  doubleField(2, "discount"),
  doubleField(3, "total_with_discount"),
  doubleField(4, "total_without_discount"),
]);
export const ResourceUsageCostsBySource = message<ResourceUsageCostsBySourceF>(P + "ResourceUsageCostsBySource", () => [
  { no: 1, name: "source_type", kind: "enum", T: proto3.getEnumType(SourceType) },
  { no: 2, name: "resource_usage_costs", kind: "message", T: ResourceUsageCosts },
  stringField(3, "tier_name"),
]);
export const GetCurrentMonthUsageRequest = message<OrgIdF>(P + "GetCurrentMonthUsageRequest", () => [stringField(1, "org_id")]);
export const GetCurrentMonthUsageResponse = message<GetCurrentMonthUsageResponseF>(P + "GetCurrentMonthUsageResponse", () => [
  timestampField(1, "start_date"),
  timestampField(2, "end_date"),
  doubleField(3, "cloud_storage_usage_cost"),
  doubleField(4, "data_upload_usage_cost"),
  doubleField(5, "data_egres_usage_cost"),
  doubleField(6, "remote_control_usage_cost"),
  doubleField(7, "standard_compute_usage_cost"),
  doubleField(8, "discount_amount"),
  doubleField(9, "total_usage_with_discount"),
  doubleField(10, "total_usage_without_discount"),
  doubleField(11, "per_machine_usage_cost"),
  doubleField(12, "binary_data_cloud_storage_usage_cost"),
  doubleField(13, "other_cloud_storage_usage_cost"),
  { no: 14, name: "resource_usage_costs_by_source", kind: "message", T: ResourceUsageCostsBySource, repeated: true },
  doubleField(15, "subtotal"),
]);

export const PaymentMethodCard = message<PaymentMethodCardF>(P + "PaymentMethodCard", () => [
  stringField(1, "brand"),
  stringField(2, "last_four_digits"),
]);
export const VerificationInfo = message<VerificationInfoF>(P + "VerificationInfo", () => [
  { no: 1, name: "arrival_date", kind: "scalar", T: INT64 },
  stringField(2, "hosted_verification_page_url"),
]);
export const PaymentMethodUSBankAccount = message<PaymentMethodUSBankAccountF>(P + "PaymentMethodUSBankAccount", () => [
  stringField(1, "bank_name"),
  stringField(2, "last_four_digits_account_number"),
  stringField(3, "routing_number"),
  stringField(4, "account_type"),
  { no: 5, name: "verification_info", kind: "message", T: VerificationInfo, opt: true },
]);
export const GetOrgBillingInformationRequest = message<OrgIdF>(P + "GetOrgBillingInformationRequest", () => [stringField(1, "org_id")]);
export const GetOrgBillingInformationResponse = message<GetOrgBillingInformationResponseF>(P + "GetOrgBillingInformationResponse", () => [
  { no: 1, name: "type", kind: "enum", T: proto3.getEnumType(PaymentMethodType) },
  stringField(2, "billing_email"),
  { no: 3, name: "method", kind: "message", T: PaymentMethodCard, opt: true },
  optionalStringField(4, "billing_tier"),
  { no: 5, name: "method_us_bank_account", kind: "message", T: PaymentMethodUSBankAccount, opt: true },
]);

export const InvoiceSummary = message<InvoiceSummaryF>(P + "InvoiceSummary", () => [
  stringField(1, "id"),
  timestampField(2, "invoice_date"),
  doubleField(3, "invoice_amount"),
  stringField(4, "status"),
  timestampField(5, "due_date"),
  timestampField(6, "paid_date"),
  stringField(7, "last_payment_failure_reason"),
  timestampField(8, "last_payment_failure_at"),
]);
export const GetInvoicesSummaryRequest = message<OrgIdF>(P + "GetInvoicesSummaryRequest", () => [stringField(1, "org_id")]);
export const GetInvoicesSummaryResponse = message<GetInvoicesSummaryResponseF>(P + "GetInvoicesSummaryResponse", () => [
  doubleField(1, "outstanding_balance"),
  { no: 2, name: "invoices", kind: "message", T: InvoiceSummary, repeated: true },
]);

export const GetInvoicePdfRequest = message<GetInvoicePdfRequestF>(P + "GetInvoicePdfRequest", () => [
  stringField(1, "id"),
  stringField(2, "org_id"),
]);
export const GetInvoicePdfResponse = message<GetInvoicePdfResponseF>(P + "GetInvoicePdfResponse", () => [
  { no: 1, name: "chunk", kind: "scalar", T: BYTES },
]);

export const GetAvailableBillingTiersRequest = message<EmptyF>(P + "GetAvailableBillingTiersRequest", () => []);
export const GetAvailableBillingTiersResponse = message<GetAvailableBillingTiersResponseF>(P + "GetAvailableBillingTiersResponse", () => [
  { no: 1, name: "tiers", kind: "scalar", T: STRING, repeated: true },
]);

export const GetLocationBillingOrganizationRequest = message<LocationIdF>(P + "GetLocationBillingOrganizationRequest", () => [
  stringField(1, "location_id"),
]);
export const GetLocationBillingOrganizationResponse = message<BillingOrganizationIdF>(P + "GetLocationBillingOrganizationResponse", () => [
  stringField(1, "billing_organization_id"),
]);

export const SendPaymentRequiredEmailRequest = message<SendPaymentRequiredEmailRequestF>(P + "SendPaymentRequiredEmailRequest", () => [
  stringField(1, "customer_org_id"),
  stringField(2, "billing_owner_org_id"),
]);
export const SendPaymentRequiredEmailResponse = message<EmptyF>(P + "SendPaymentRequiredEmailResponse", () => []);

export const UpdateOrganizationBillingTierRequest = message<UpdateOrganizationBillingTierRequestF>(P + "UpdateOrganizationBillingTierRequest", () => [
  stringField(1, "organization_id"),
  stringField(2, "billing_tier"),
]);
export const UpdateOrganizationBillingTierResponse = message<EmptyF>(P + "UpdateOrganizationBillingTierResponse", () => []);

export const UpdateLocationBillingOrganizationRequest = message<UpdateLocationBillingOrganizationRequestF>(
  P + "UpdateLocationBillingOrganizationRequest",
  () => [stringField(1, "location_id"), stringField(2, "billing_organization_id")],
);
export const UpdateLocationBillingOrganizationResponse = message<EmptyF>(P + "UpdateLocationBillingOrganizationResponse", () => []);

export const ChargeOrganizationRequest = message<ChargeOrganizationRequestF>(P + "ChargeOrganizationRequest", () => [
  stringField(1, "org_id_to_charge"),
  optionalStringField(2, "description"),
  doubleField(3, "subtotal"),
  doubleField(4, "tax"),
  optionalStringField(5, "org_id_for_branding"),
  { no: 6, name: "disable_confirmation_email", kind: "scalar", T: BOOL },
]);
export const ChargeOrganizationResponse = message<InvoiceIdF>(P + "ChargeOrganizationResponse", () => [stringField(1, "invoice_id")]);

export const CreateInvoiceAndChargeImmediatelyRequest = message<CreateInvoiceAndChargeImmediatelyRequestF>(
  P + "CreateInvoiceAndChargeImmediatelyRequest",
  () => [
    stringField(1, "org_id_to_charge"),
    doubleField(2, "amount"),
    optionalStringField(3, "description"),
    optionalStringField(4, "org_id_for_branding"),
    { no: 5, name: "disable_email", kind: "scalar", T: BOOL },
  ],
);
export const CreateInvoiceAndChargeImmediatelyResponse = message<InvoiceIdF>(P + "CreateInvoiceAndChargeImmediatelyResponse", () => [
  stringField(1, "invoice_id"),
]);

const unary = <I, O>(name: string, I: MsgType<I>, O: MsgType<O>) => ({ name, I, O, kind: MethodKind.Unary } as const);

export const BillingService = {
  typeName: "viam.app.v1.BillingService",
  methods: {
    getCurrentMonthUsage: unary("GetCurrentMonthUsage", GetCurrentMonthUsageRequest, GetCurrentMonthUsageResponse),
    getOrgBillingInformation: unary("GetOrgBillingInformation", GetOrgBillingInformationRequest, GetOrgBillingInformationResponse),
    getInvoicesSummary: unary("GetInvoicesSummary", GetInvoicesSummaryRequest, GetInvoicesSummaryResponse),
    getInvoicePdf: {
      name: "GetInvoicePdf",
      I: GetInvoicePdfRequest,
      O: GetInvoicePdfResponse,
      kind: MethodKind.ServerStreaming,
    },
    getAvailableBillingTiers: unary("GetAvailableBillingTiers", GetAvailableBillingTiersRequest, GetAvailableBillingTiersResponse),
    getLocationBillingOrganization: unary(
      "GetLocationBillingOrganization",
      GetLocationBillingOrganizationRequest,
      GetLocationBillingOrganizationResponse,
    ),
    sendPaymentRequiredEmail: unary("SendPaymentRequiredEmail", SendPaymentRequiredEmailRequest, SendPaymentRequiredEmailResponse),
    updateOrganizationBillingTier: unary(
      "UpdateOrganizationBillingTier",
      UpdateOrganizationBillingTierRequest,
      UpdateOrganizationBillingTierResponse,
    ),
    updateLocationBillingOrganization: unary(
      "UpdateLocationBillingOrganization",
      UpdateLocationBillingOrganizationRequest,
      UpdateLocationBillingOrganizationResponse,
    ),
    chargeOrganization: unary("ChargeOrganization", ChargeOrganizationRequest, ChargeOrganizationResponse),
    createInvoiceAndChargeImmediately: unary(
      "CreateInvoiceAndChargeImmediately",
      CreateInvoiceAndChargeImmediatelyRequest,
      CreateInvoiceAndChargeImmediatelyResponse,
    ),
  },
} as const;

// proto.rpc.v1.AuthService: what the SDK calls to trade an API key for a bearer token.
// The sandbox serves it; ViamConnection calls it (with a deadline) and hands the token to the SDK.
export interface CredentialsF { type: string; payload: string }
export interface AuthenticateRequestF { entity: string; credentials?: Msg<CredentialsF> }
export interface AuthenticateResponseF { accessToken: string }
export const RpcCredentials = message<CredentialsF>("proto.rpc.v1.Credentials", () => [stringField(1, "type"), stringField(2, "payload")]);
export const AuthenticateRequest = message<AuthenticateRequestF>("proto.rpc.v1.AuthenticateRequest", () => [
  stringField(1, "entity"),
  { no: 2, name: "credentials", kind: "message", T: RpcCredentials },
]);
export const AuthenticateResponse = message<AuthenticateResponseF>("proto.rpc.v1.AuthenticateResponse", () => [
  stringField(1, "access_token"),
]);
export const AuthService = {
  typeName: "proto.rpc.v1.AuthService",
  methods: {
    authenticate: unary("Authenticate", AuthenticateRequest, AuthenticateResponse),
  },
} as const;

// viam.app.v1.AppService, only ListOrganizations: the organizations the caller is a member of.
// The client calls it through @viamrobotics/sdk's app client (ViamClient.appClient); these
// types are what the sandbox serves it with. Field numbers follow proto/viam/app/v1/app.proto.
export interface OrganizationF {
  id: string;
  name: string;
  createdOn?: Timestamp;
  publicNamespace: string;
  defaultRegion: string;
  cid?: string;
}
export interface ListOrganizationsResponseF { organizations: Msg<OrganizationF>[] }
export const Organization = message<OrganizationF>(P + "Organization", () => [
  stringField(1, "id"),
  stringField(2, "name"),
  timestampField(3, "created_on"),
  stringField(4, "public_namespace"),
  stringField(5, "default_region"),
  optionalStringField(6, "cid"),
]);
export const ListOrganizationsRequest = message<EmptyF>(P + "ListOrganizationsRequest", () => []);
export const ListOrganizationsResponse = message<ListOrganizationsResponseF>(P + "ListOrganizationsResponse", () => [
  { no: 1, name: "organizations", kind: "message", T: Organization, repeated: true },
]);
export const AppService = {
  typeName: "viam.app.v1.AppService",
  methods: {
    listOrganizations: unary("ListOrganizations", ListOrganizationsRequest, ListOrganizationsResponse),
  },
} as const;
