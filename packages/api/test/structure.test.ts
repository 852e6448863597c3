import { describe, expect, it } from "vitest";
import { requirementOutline } from "../src/utils/openspec";

describe("requirementOutline", () => {
  it("names requirements and scenarios", () => {
    const spec = "# demo\n\n## Purpose\nx\n\n## Requirements\n### Requirement: Fast `list`\nThe system SHALL list.\n\n#### Scenario: Many rows\n- **WHEN** asked\n- **THEN** it lists\n";
    expect(requirementOutline(spec)).toEqual([{ name: "Fast `list`", text: "The system SHALL list.", scenarios: [{ name: "Many rows", content: "- **WHEN** asked\n- **THEN** it lists" }] }]);
  });
});
