import { type ProviderName, providerInfo, providerNames } from "../providers/registry.js";
import type { MintRate } from "./mint-rate-limiter.js";

/** Each provider's documented rate limit (ProviderInfo.mintRate): the operator's default. */
function defaultMintRates(): Partial<Record<ProviderName, MintRate>> {
  const rates: Partial<Record<ProviderName, MintRate>> = {};
  for (const name of providerNames) {
    const rate = providerInfo[name].mintRate;
    if (rate) rates[name] = { ...rate };
  }
  return rates;
}

/**
 * The rates of --provider-rate-limits: the defaults, changed by a comma-separated list of
 * "<provider>=<per second>/<burst>" or "<provider>=off", e.g. "ecr=10/100,ecrPublic=off". Throws
 * an Error naming the entry for an unknown provider, one whose mints have no quota to keep to, or
 * a rate that is not a positive number with a burst of at least 1.
 */
export function parseMintRates(text: string | undefined): Partial<Record<ProviderName, MintRate>> {
  const rates = defaultMintRates();
  for (const entry of (text ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z]+)=(?:(off)|([0-9]+(?:\.[0-9]+)?)\/([0-9]+))$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not <provider>=<per second>/<burst> or <provider>=off`);
    const name = match[1] as ProviderName;
    if (!providerNames.includes(name))
      throw new Error(`"${entry}": no provider ${name} (providers: ${providerNames.join(", ")})`);
    if (!providerInfo[name].mintRate)
      throw new Error(`"${entry}": ${name} sources have no cloud rate limit the operator keeps to`);
    if (match[2]) {
      delete rates[name];
      continue;
    }
    const perSecond = Number(match[3]);
    const burst = Number(match[4]);
    if (!(perSecond > 0) || !(burst >= 1))
      throw new Error(`"${entry}": the rate must be above 0 and the burst at least 1`);
    rates[name] = { perSecond, burst };
  }
  return rates;
}
