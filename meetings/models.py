# Classified meetings (SPEC §9) arrive with the people-and-meetings issue.
