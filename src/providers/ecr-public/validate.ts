// Semantic checks of an EcrPublicSource that the CRD schema cannot express.
import type { EcrPublicSource } from "../../api/v1alpha1.js";
import { validateAwsIdentity } from "../ecr/validate.js";
import { identitySpecOf } from "./identity.js";

/** One message per problem, each naming the field and saying why; empty when the spec is valid. */
export function validateEcrPublicSource(spec: EcrPublicSource): string[] {
  return validateAwsIdentity(identitySpecOf(spec), "ECR Public (served from us-east-1)");
}
