import type { CredentialSource } from "../api/v1alpha1.js";
import { type AwsClientFactories, createEcrProvider } from "./ecr/provider.js";
import { createGarProvider, type GoogleClientFactories } from "./gar/provider.js";
import type { Provider, ResolvedSource, SourceAccess } from "./provider.js";

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

/** A source's provider bound to that source's spec. */
export interface BoundSource {
  name: ProviderName;
  validate(): string[];
  resolve(access: SourceAccess): Promise<ResolvedSource>;
}

/** Binds a source to its provider; undefined when the source does not set exactly one provider block. */
export function bindSource(source: CredentialSource, providers: Providers): BoundSource | undefined {
  const name = providerOf(source);
  if (!name) return undefined;
  // Providers maps each name to the provider of that name's spec type, so this pairing is sound.
  const provider = providers[name] as Provider<unknown>;
  const spec = source[name];
  return {
    name,
    validate: () => provider.validate(spec),
    resolve: (access) => provider.resolve(spec, access),
  };
}
