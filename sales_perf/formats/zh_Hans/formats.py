# Chinese finance pages group thousands with commas too (Django's zh_Hans formats have no grouping).
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
