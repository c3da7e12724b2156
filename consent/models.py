# Consent records and the disclosure policy arrive with the consent issue.
