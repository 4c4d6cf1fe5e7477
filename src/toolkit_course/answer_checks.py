"""The visible check under each answer box in a graded assessment.

It only tells the learner whether the answer is one of the allowed options,
never whether it is right, so running it gives nothing away.
"""

from __future__ import annotations


def check_answer(name: str, value: object, allowed: list[str]) -> bool:
    choices = ", ".join(f'"{option}"' for option in allowed)
    if not isinstance(value, str):
        print(f'✗ {name} must be text between quotes, for example {name} = "{allowed[0]}". '
              f"At the moment it is {value!r}.")
        return False
    answer = value.strip().lower()
    if answer == "":
        print(f"… {name} is still empty. Type one of {choices} between the quotes, then run both boxes again.")
        return False
    if answer not in allowed:
        print(f'✗ "{value}" is not one of the allowed answers for {name}. Please type one of: {choices}.')
        return False
    print(f'✓ {name} = "{answer}" is one of the allowed answers. It will be marked when your assessment is graded.')
    return True
