"""The request and response models the HTTP API and the staff console share: a form is checked
by the same model as the JSON body, so both faces accept exactly the same input.

Below both `node.api` and `node.console` (docs/decisions.md, "Structure (issue 20)").
"""
