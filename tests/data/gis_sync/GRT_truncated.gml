<?xml version="1.0" encoding="UTF-8"?>
<star-dt:StaR-DT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:star-dt="http://cnig.gouv.fr/star-dt/core" xsi:schemaLocation="http://cnig.gouv.fr/star-dt/core ../StaRDT.xsd" gml:id="uuid_1">
	<star-dt:member>
		<star-dt:CanalisationHydrocarbureChimique gml:id="id47b09537-ffc3-4f33-8430-67ba3eff29af" xmlns:gss="http://www.isotc211.org/2005/gss" xmlns:star-dt-ii="http://cnig.gouv.fr/star-dt/inspireimports" xmlns:gsr="http://www.isotc211.org/2005/gsr" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gmlexr="http://www.opengis.net/gml/3.3/exr" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:gts="http://www.isotc211.org/2005/gts">
			<star-dt:reseau xlink:href="#Reseau"/>
			<star-dt:identifiant>1</star-dt:identifiant>
			<star-dt:code>SEF-00001</star-dt:code>
			<star-dt:precisionXY>A</star-dt:precisionXY>
			<star-dt:visibleSurface>false</star-dt:visibleSurface>
			<star-dt:sensible>true</star-dt:sensible>
			<star-dt:statut xlink:href="http://inspire.ec.europa.eu/codelist/ConditionOfFacilityValue/functional"/>
			<star-dt:valideDe>1958-07-31</star-dt:valideDe>
			<star-dt:positionVerticale>underground</star-dt:positionVerticale>
			<star-dt:miseAJour>1958-01-01</star-dt:miseAJour>
			<star-dt:geometrie>
				<gml:LineString gml:id="id47b09537-ffc3-4f33-8430-67ba3eff29af-0" srsName="EPSG:2154" srsDimension="2">
					<gml:posList>1050859.9875235807 6840660.371346956 1051376.19063932 6840478.4699414885</gml:posList>
				</gml:LineString>
			</star-dt:geometrie>
			<star-dt:typeElement xlink:href="http://inspire.ec.europa.eu/codelist/UtilityDeliveryTypeValue/transport"/>
			<star-dt:dispositifProtection xlink:href="http://inspire.ec.europa.eu/codelist/WarningTypeValue/"/>
			<star-dt:profondeurMinReg uom="urn:ogc:def:uom:OGC:1.0:metre">0</star-dt:profondeurMinReg>
			<star-dt:profondeurMinNonReg uom="urn:ogc:def:uom:OGC:1.0:metre">0</star-dt:profondeurMinNonReg>
			<star-dt:materiau xlink:href="http://inspire.ec.europa.eu/codelist/PipeMaterialTypeValue/steel"/>
			<star-dt:hierarchie>reseau</star-dt:hierarchie>
			<star-dt:hauteurMinReg uom="urn:ogc:def:uom:OGC:1.0:metre">0</star-dt:hauteurMinReg>
			<star-dt:exemptionIC>false</star-dt:exemptionIC>
			<star-dt:typeFluide xlink:href="http://inspire.ec.europa.eu/codelist/OilGazChemicalProductTypeValue/"/>
			<star-dt:classeTemperature xlink:href="http://registre.geocatalogue.fr/codelist/ClasseTemperatureValue/inf110"/>
			<star-dt:pression uom="urn:ogc:def:uom:OGC::bar">67.7</star-dt:pression>
		</star-dt:CanalisationHydrocarbureChimique>
	</star-dt:member>
	<star-dt:member>
		<star-dt:CanalisationHydrocarbureChimique gml:id="idd9a49380-34aa-4735-8f8f-65462e297993" xmlns:gss="http://www.isotc211.org/2005/gss" xmlns:star-dt-ii="http://cnig.gouv.fr/star-dt/inspireimports" xmlns:gsr="http://www.isotc211.org/2005/gsr" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gmlexr="http://www.opengis.net/gml/3.3/exr" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:gts="http://www.isotc211.org/2005/gts">
			<star-dt:reseau xlink:href="#Reseau"/>
			<star-dt:identifiant>2</star-dt:identifiant>
			<star-dt:code>SEF-00002</star-dt:code>
			<star-dt:precisionXY>B</star-dt:precisionXY>
			<star-dt:visibleSurface>false</star-dt:visibleSurface>
			<star-dt:sensible>true</star-dt:sensible>
			<star-dt:statut xlink:href="http://inspire.ec.europa.eu/codelist/ConditionOfFacilityValue/functional"/>
			<star-dt:valideDe>1995-07-31</star-dt:valideDe>
			<star-dt:positionVerticale>underground</star-dt:positionVerticale>
			<star-dt:miseAJour>1995-09-01</star-dt:miseAJour>
			<star-dt:geometrie>
				<gml:LineString gml:id="idd9a49380-34aa-4735-8f8f-65462e297993-0" srsName="EPSG:2154" srsDimen