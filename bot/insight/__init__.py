"""The insight page (/insight) and `careerbot feedback`'s figures: what the bot did for a period.

- period.py: the period (whole UTC days) from the page's form or the CLI's flags
- render.py: pure HTML with inline SVG charts (no JavaScript)
- explain.py: the `careerbot ask --explain` view of one question (adapter over Engine.explain)
- report.py: the same figures as terminal text and JSON
- web.py: the Flask blueprint, behind CAREERBOT_INSIGHT_TOKEN
"""
