import type { SocketScannerOptions } from '../../scanner-options';

/** ICAP options (scanners.md "ICAP options and defaults"), camelCase, all resolved. */
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

export interface IcapClientOptions extends SocketScannerOptions, Partial<IcapSettings> {
  /** Clock for the `Date` headers (tests). */
  readonly clock?: () => Date;
  /** Host name for `user_agent = "extended"` (default os.hostname()). */
  readonly hostname?: string;
}

const SNAKE: Readonly<Record<string, keyof IcapSettings>> = {
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
  default_score: 'defaultScore',
};

/**
 * ICAP settings from the rule's snake_case options (config's `Rule.specific.options`,
 * ICAP_DEFAULTS filled in); unknown keys and values of the wrong type are ignored.
 */
export function icapSettingsFromConfig(options: Readonly<Record<string, unknown>>): Partial<IcapSettings> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const name = SNAKE[key];
    if (!name) continue;
    const expected = typeof ICAP_SETTINGS_DEFAULTS[name];
    if (typeof value === expected) out[name] = value;
  }
  return out as Partial<IcapSettings>;
}

export function resolveIcapSettings(o: Partial<IcapSettings>): IcapSettings {
  const out: Record<string, unknown> = { ...ICAP_SETTINGS_DEFAULTS };
  for (const key of Object.keys(ICAP_SETTINGS_DEFAULTS) as (keyof IcapSettings)[]) {
    if (o[key] !== undefined) out[key] = o[key];
  }
  return out as unknown as IcapSettings;
}
