import type { ScannerCommonOptions } from '../../scanner-options';

/** ICAP options (docs/scanners.md "ICAP options and defaults"), camelCase, all resolved. */
export interface IcapSettings {
  /** Service name: the path of the ICAP URI (default `scan`). */
  readonly scheme: string;
  readonly ssl: boolean;
  readonly noSslVerify: boolean;
  /** `none` omits the header; `extended` builds `avfleet/<version> (<host>/<scan id>)`. */
  readonly userAgent: string;
  readonly xClientHeader: boolean;
  readonly xRcptHeader: boolean;
  /** F-Secure only: adds `X-Mail-From: <envelope sender>` (new behaviour, D20). */
  readonly xFromHeader: boolean;
  readonly reqHeadersEnabled: boolean;
  readonly httpHeadersEnabled: boolean;
  readonly reqFakeUrl: string;
  readonly useHttpResultHeader: boolean;
  readonly useHttp3xxAsThreat: boolean;
  readonly useSpecificContentType: boolean;
  /** Weight of threat verdicts (`default_score`, 1). */
  readonly defaultScore: number;
}

/** The one table of ICAP defaults. */
export const ICAP_SETTINGS_DEFAULTS: IcapSettings = {
  scheme: 'scan',
  ssl: false,
  noSslVerify: false,
  userAgent: 'Rspamd',
  xClientHeader: false,
  xRcptHeader: false,
  xFromHeader: false,
  reqHeadersEnabled: true,
  httpHeadersEnabled: true,
  reqFakeUrl: 'http://127.0.0.1/mail',
  useHttpResultHeader: true,
  useHttp3xxAsThreat: false,
  useSpecificContentType: false,
  defaultScore: 1,
};

export interface IcapClientOptions extends ScannerCommonOptions, Partial<IcapSettings> {
  /** Clock for the `Date` headers (tests). */
  readonly clock?: () => Date;
  /** Host name for `user_agent = "extended"` (default os.hostname()). */
  readonly hostname?: string;
}

/**
 * The ICAP rule options as the configuration spells them (snake_case), in
 * configuration order, and the setting each one sets. `default_score` is a
 * common rule option (ScannerCommonOptions.defaultScore), not one of these.
 */
const ICAP_OPTION_SETTINGS = {
  scheme: 'scheme',
  ssl: 'ssl',
  no_ssl_verify: 'noSslVerify',
  user_agent: 'userAgent',
  x_client_header: 'xClientHeader',
  x_rcpt_header: 'xRcptHeader',
  x_from_header: 'xFromHeader',
  req_headers_enabled: 'reqHeadersEnabled',
  http_headers_enabled: 'httpHeadersEnabled',
  req_fake_url: 'reqFakeUrl',
  use_http_result_header: 'useHttpResultHeader',
  use_http_3xx_as_threat: 'useHttp3xxAsThreat',
  use_specific_content_type: 'useSpecificContentType',
} as const satisfies Readonly<Record<string, Exclude<keyof IcapSettings, 'defaultScore'>>>;

export type IcapOptionName = keyof typeof ICAP_OPTION_SETTINGS;

/** A rule's ICAP options, snake_case, every one filled (config's `Rule.specific.options`). */
export type IcapOptions = { readonly [K in IcapOptionName]: IcapSettings[(typeof ICAP_OPTION_SETTINGS)[K]] };

/** The ICAP options' defaults as the configuration spells them (from ICAP_SETTINGS_DEFAULTS). */
export const ICAP_DEFAULTS: IcapOptions = Object.freeze(
  Object.fromEntries(Object.entries(ICAP_OPTION_SETTINGS).map(([option, setting]) => [option, ICAP_SETTINGS_DEFAULTS[setting]])) as unknown as IcapOptions,
);

/** A rule's snake_case ICAP options → the client's settings (all but `defaultScore`, a common option). */
export function icapSettings(options: IcapOptions): Omit<IcapSettings, 'defaultScore'> {
  const out: Record<string, unknown> = {};
  for (const [option, setting] of Object.entries(ICAP_OPTION_SETTINGS)) out[setting] = options[option as IcapOptionName];
  return out as unknown as Omit<IcapSettings, 'defaultScore'>;
}

export function resolveIcapSettings(o: Partial<IcapSettings>): IcapSettings {
  const out: Record<string, unknown> = { ...ICAP_SETTINGS_DEFAULTS };
  for (const key of Object.keys(ICAP_SETTINGS_DEFAULTS) as (keyof IcapSettings)[]) {
    if (o[key] !== undefined) out[key] = o[key];
  }
  return out as unknown as IcapSettings;
}
