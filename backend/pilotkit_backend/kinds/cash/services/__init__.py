"""What the cash routes call: enrolment, identity, merchants, rounds (plans, chain views, payments), overview."""
