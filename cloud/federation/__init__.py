"""Federation: a city's aggregated counts to a regional twin, and the regional twin that receives them."""
