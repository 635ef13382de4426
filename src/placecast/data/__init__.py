"""Data: readers of SSDA903 returns (:mod:`~placecast.data.ssda903`) and DfE's published tables
(:mod:`~placecast.data.dfe`), synthetic SSDA903 returns simulated from known rates
(:mod:`~placecast.data.synthetic`), the embedded default council (:mod:`~placecast.data.hackney`)
and the placeholder carer supply, costs and budget of a fitted council
(:mod:`~placecast.data.placeholders`)."""
