import { describe, expect, it } from "@jest/globals";
import { parseMintRates } from "../../../src/tokens/mint-rates.js";

describe("--provider-rate-limits", () => {
  it.each([
    [
      "unset: ECR's documented limit for both AWS providers",
      undefined,
      { ecr: { perSecond: 20, burst: 200 }, ecrPublic: { perSecond: 20, burst: 200 } },
    ],
    [
      "one provider changed, the other kept",
      "ecr=5/50",
      { ecr: { perSecond: 5, burst: 50 }, ecrPublic: { perSecond: 20, burst: 200 } },
    ],
    ["a fractional rate", "ecr=0.5/1,ecrPublic=off", { ecr: { perSecond: 0.5, burst: 1 } }],
    ["both lifted", " ecr=off , ecrPublic=off ", {}],
  ])("%s", (_name, text, rates) => {
    expect(parseMintRates(text)).toEqual(rates);
  });

  it.each([
    [
      "a provider without a cloud rate limit",
      "gar=10/10",
      '"gar=10/10": gar sources have no cloud rate limit the operator keeps to',
    ],
    ["an unknown provider", "quay=1/1", '"quay=1/1": no provider quay'],
    ["a missing burst", "ecr=20", '"ecr=20" is not <provider>=<per second>/<burst> or <provider>=off'],
    ["a zero rate", "ecr=0/10", '"ecr=0/10": the rate must be above 0 and the burst at least 1'],
    ["a zero burst", "ecr=20/0", '"ecr=20/0": the rate must be above 0 and the burst at least 1'],
  ])("refuses %s, naming the entry", (_name, text, message) => {
    expect(() => parseMintRates(text)).toThrow(message);
  });
});
