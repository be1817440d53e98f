"""Grid workers' appraisal (网格员考核): the district's scheme, monthly scorecards computed
from what the product records, published and frozen by the street, and the career ladder."""
