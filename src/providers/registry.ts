import type { CredentialSource } from "../api/v1alpha1.js";
import { type AwsClientFactories, createEcrProvider } from "./ecr/provider.js";
import { createGarProvider, type GoogleClientFactories } from "./gar/provider.js";
import type { Provider } from "./provider.js";

/** The name of each provider block of a source, e.g. "ecr". */
export type ProviderName = keyof CredentialSource;

/** One implementation for every provider block of the API; the compiler rejects a missing one. */
export type Providers = { [Name in ProviderName]-?: Provider<NonNullable<CredentialSource[Name]>> };

export interface ProviderDependencies {
  aws: AwsClientFactories;
  google: GoogleClientFactories;
}

export function createProviders(dependencies: ProviderDependencies): Providers {
  return {
    ecr: createEcrProvider(dependencies.aws),
    gar: createGarProvider(dependencies.google),
  };
}

/** The provider block set in a source, or undefined when none or several are set. */
export function providerOf(source: CredentialSource): ProviderName | undefined {
  const set = (Object.keys(source) as ProviderName[]).filter((name) => source[name] !== undefined);
  return set.length === 1 ? set[0] : undefined;
}
