"""The page for benchmarks/bench_widget_chunks.py: bare_page.py's title and small dataframe, plus the widgets named
in the `w` query parameter (comma-separated), each the first of its kind on the page."""

import pandas as pd
import streamlit as st

wanted = set(st.query_params.get("w", "").split(","))
st.title("Bare page")
if "sidebar_caption" in wanted:
    st.sidebar.caption("A caption in the sidebar.")
if "slider" in wanted:
    st.slider("Utilisation (%)", 5, 100, 100)
if "selectbox" in wanted:
    st.selectbox("GPU", ["b200", "h100-sxm"])
if "multiselect" in wanted:
    st.multiselect("GPUs", ["b200", "h100-sxm"])
if "number_input" in wanted:
    st.number_input("Input length (tokens)", value=1024)
if "segmented_control" in wanted:
    st.segmented_control("Model size", ["3B", "8B", "14B"], default="8B")
if "toggle" in wanted:
    st.toggle("Include estimates")
if "metric" in wanted:
    st.metric("Cheapest", "$0.050 /M")
if "tabs" in wanted:
    first, _ = st.tabs(["Table", "Chart"])
    first.write("table")
st.dataframe(pd.DataFrame({"gpu": ["b200", "h100-sxm", "a100-80gb"], "usd_per_mtok": [0.05, 0.09, 0.21]}))
