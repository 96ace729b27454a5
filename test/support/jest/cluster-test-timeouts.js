// The integration and e2e projects' default timeout for tests and hooks: their hooks stop operators,
// nodes and fakes against a real apiserver, which takes longer than jest's 5 s when the two projects
// share the machine (npm test runs them at once). Tests that wait longer say so themselves.
import { jest } from "@jest/globals";

jest.setTimeout(60_000);
