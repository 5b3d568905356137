"""The baseline page for benchmarks/bench_pages.py: a bare Streamlit page that shows one small dataframe."""

import pandas as pd
import streamlit as st

st.title("Bare page")
st.dataframe(pd.DataFrame({"gpu": ["b200", "h100-sxm", "a100-80gb"], "usd_per_mtok": [0.05, 0.09, 0.21]}))
