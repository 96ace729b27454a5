// The @azure/identity credentials the acr provider uses, imported only through `await
// import("./identity-sdk.js")` when a credential is first needed (a chunk of its own in the bundle).
export {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
