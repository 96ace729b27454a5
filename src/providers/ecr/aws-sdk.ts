// The AWS SDK classes the ecr and ecrPublic providers use, imported only through `await
// import("./aws-sdk.js")` when a client is first needed (a chunk of its own in the bundle). A
// static re-export, because a bundle gives a dynamically imported CommonJS package only a default.
export { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
export {
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
} from "@aws-sdk/client-ecr-public";
export { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
export { fromNodeProviderChain } from "@aws-sdk/credential-providers";
