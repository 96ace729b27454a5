// The google-auth-library classes the gar provider uses, imported only through `await
// import("./google-sdk.js")` when a client is first needed (a chunk of its own in the bundle). A
// static re-export, because a bundle gives a dynamically imported CommonJS package only a default.
export { AwsClient, GoogleAuth, IdentityPoolClient, PluggableAuthClient } from "google-auth-library";
